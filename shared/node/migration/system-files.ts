import { statfsSync } from 'node:fs';
import { VaultError } from '../../core/errors';

/**
 * File systems the kernel makes up as it is read (statfs f_type, from linux/magic.h). Their "regular files" are
 * views of processes and kernel state: /proc/self/environ (this process's environment, its tokens included) and
 * /proc/self/mem say size 0 yet hold bytes; /sys files say 4096 whatever they hold. None is a user's secrets file,
 * and its keys would be no one's choice. Told apart by file system, not by path: /proc can be mounted elsewhere,
 * and a real file reached through /proc/self/cwd/... lives on the disk and stays allowed.
 */
const KERNEL_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'procfs, processes and kernel state'],
  [0x62656572, 'sysfs, devices and kernel settings'],
  [0x64626720, 'debugfs, kernel debugging'],
  [0x74726163, 'tracefs, kernel tracing'],
  [0x73636673, 'securityfs, kernel security modules'],
  [0x27e0eb, 'cgroupfs, process groups'],
  [0x63677270, 'cgroup2fs, process groups'],
  [0x62656570, 'configfs, kernel objects'],
  [0xde5e81e4, 'efivarfs, firmware variables'],
  [0x6165676c, 'pstore, kernel crash records'],
  [0xcafe4a11, 'bpffs, kernel programs'],
  [0xf97cff8c, 'selinuxfs, SELinux state'],
  [0x43415d53, 'smackfs, Smack state'],
  [0x65735543, 'fusectl, FUSE connections'],
  [0x42494e4d, 'binfmt_misc, program formats'],
  [0x19800202, 'mqueue, message queues'],
]);

/**
 * Refuses a path on a file system the kernel makes up (procfs, sysfs, ...), naming the path and why; `fix` is the
 * caller's (the CLI names --from, the app its dialog). A path statfs cannot read is left to the read's own errors.
 * @throws VaultError INVALID_ARGUMENT
 */
export function refuseKernelFiles(path: string, fix: string): void {
  let type: number;
  try {
    type = statfsSync(path).type;
  } catch {
    return;
  }
  const what = KERNEL_FILE_SYSTEMS.get(type);
  if (what === undefined) return;
  throw new VaultError('INVALID_ARGUMENT', `${path} is not a file of yours but a view the kernel makes up (${what}); it is no secrets file, and nothing was read.`, fix);
}
