import { readFileSync, readlinkSync } from 'node:fs';

/** What `fd` of this process is open on (Linux: a path, `pipe:[N]`, `anon_inode:[eventfd]`), or undefined where it cannot be seen. */
export function descriptorTarget(fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** The open flags of `fd` (Linux: /proc/self/fdinfo), or undefined where they cannot be seen. */
export function descriptorFlags(fd: number): number | undefined {
  try {
    const m = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m ? parseInt(m[1]!, 8) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * This process's limit on open descriptors (the soft `Max open files` of /proc/self/limits, `ulimit -n`): no
 * descriptor at or past it can be open. Undefined where it cannot be seen or is unlimited.
 */
export function openFilesLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)\s/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
