import { childProcess, procStatFields } from '../builtins';
import { readFileSync, statSync } from 'node:fs';
import type { ProviderNotAnswering } from '../../core/secret-store';
import { basename } from 'node:path';

/** The process that owns `org.freedesktop.secrets` on the session bus, as far as it can be told. */
export interface ProviderInfo {
  /** What a user calls it: KeePassXC, gnome-keyring, KWallet, or the executable's name. */
  label: string;
  /** The executable's base name (keepassxc, gnome-keyring-daemon, kwalletd6, ...). */
  executable: string;
  pid: number;
  /** Started by the bus itself (D-Bus activation), not by the user or the desktop session. */
  activated: boolean;
}

const LABELS: Array<[RegExp, string]> = [
  [/^keepassxc/i, 'KeePassXC'],
  [/^gnome-keyring/i, 'gnome-keyring'],
  [/^(kwalletd|ksecretd)/i, 'KWallet'],
];

/** What the process of `pid` is. Undefined when it cannot be read (another user's process, gone already). */
export function describeProvider(pid: number): ProviderInfo | undefined {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    if (!argv0) return undefined;
    const executable = basename(argv0);
    const label = LABELS.find(([re]) => re.test(executable))?.[1] ?? executable;
    return { label, executable, pid, activated: startedByBus(pid) };
  } catch {
    return undefined;
  }
}

/**
 * The provider of `pid` that did not answer, as /proc tells it (looking only): stopped (state T), held by a debugger
 * (t), or not; and whose it is. Undefined when /proc does not tell (gone, no /proc).
 */
export function silentProvider(pid: number): ProviderNotAnswering | undefined {
  const state = procStatFields(pid)?.[0];
  if (!state) return undefined;
  let uid: number | undefined;
  try {
    uid = statSync(`/proc/${pid}`).uid;
  } catch {
    return undefined;
  }
  const label = describeProvider(pid)?.label ?? 'the keychain provider';
  const other = typeof process.getuid === 'function' && uid !== process.getuid();
  return { pid, label, state: state === 'T' ? 'stopped' : state === 't' ? 'traced' : 'running', ...(other ? { otherUser: true } : {}) };
}

/**
 * D-Bus activation: the bus daemon is the parent (dbus-daemon runs the
 * .service file's Exec line itself), or systemd started it in the transient
 * unit it names after the bus request (`dbus-:1.2-org.freedesktop.secrets@0.service`).
 */
function startedByBus(pid: number): boolean {
  try {
    const ppid = Number(procStatFields(pid)?.[1]);
    const parent = readFileSync(`/proc/${ppid}/comm`, 'utf8').trim();
    if (/^dbus-(daemon|broker)/.test(parent)) return true;
  } catch {
    // the parent is gone or not ours: look at the cgroup
  }
  try {
    return /dbus-:[^/]*org\.freedesktop\.secrets/.test(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * KeePassXC's version, from `<its executable> --version` (Qt needs no display
 * for it with the offscreen platform; at most 3 s, doctor only, never on a
 * command's path): it decides the 2.7.4 replace warning. Other providers'
 * versions change nothing cpw-vault does and are not asked (a process per
 * doctor run).
 */
export function providerVersion(info: ProviderInfo): string | undefined {
  if (info.label !== 'KeePassXC') return undefined;
  let exe: string;
  try {
    exe = readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
  } catch {
    return undefined;
  }
  if (!exe) return undefined;
  const r = childProcess().spawnSync(exe, ['--version'], { encoding: 'utf8', timeout: 3_000, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' } });
  return /(\d+\.\d+(?:\.\d+)?)/.exec(r.stdout ?? '')?.[1];
}

/** Versions below this of KeePassXC ask to confirm every replace of an item by a new client, even with confirmation off (fixed in 2.7.6). */
const KEEPASSXC_REPLACE_FIXED = [2, 7, 6];

/** Warnings doctor prints about the provider: known defects of its version, a provider the bus started by itself. */
export function providerWarnings(info: ProviderInfo, version: string | undefined): string[] {
  const out: string[] = [];
  if (info.label === 'KeePassXC' && version && compareVersions(version, KEEPASSXC_REPLACE_FIXED) < 0) {
    out.push(`KeePassXC ${version} asks to confirm every time cpw-vault replaces a value, even with confirmation turned off (fixed in KeePassXC 2.7.6): each "cpw-vault set" of an existing key shows a dialog. Upgrade KeePassXC, or answer the dialog.`);
  }
  if (info.activated && info.label !== 'KeePassXC') {
    out.push(`${info.label} was started by D-Bus activation (nothing owned org.freedesktop.secrets when it was first asked). If your secrets live in KeePassXC, start KeePassXC (with Secret Service integration on) before cpw-vault, and stop ${info.executable}.`);
  }
  return out;
}

function compareVersions(version: string, than: readonly number[]): number {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < than.length; i++) {
    const d = (parts[i] ?? 0) - than[i]!;
    if (d) return d;
  }
  return 0;
}
