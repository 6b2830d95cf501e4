import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan, StepResult } from '../fixtures/keychain-contract.child';
import { collect, fixture } from './children';
import { BIN } from './cli';
import { noServiceConfig } from './private-session';
import { makeTempHome, type TempHome } from './temp';

export type { Plan, Step, StepResult } from '../fixtures/keychain-contract.child';

/**
 * Runs a plan (tests/fixtures/keychain-contract.child.ts) against a real
 * Secret Service provider — KeePassXC or gnome-keyring — started in its own
 * D-Bus session with no activatable services (nothing else can answer
 * org.freedesktop.secrets) and its own Xvfb display for the dialogs.
 */
export async function withProvider(plan: Plan, home: TempHome = makeTempHome()): Promise<{ results: StepResult[]; byLabel: (label: string) => StepResult }> {
  const run = join(home.root, 'xdg-run');
  mkdirSync(run, { recursive: true });
  chmodSync(run, 0o700);
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home.home,
    XDG_DATA_HOME: join(home.root, 'xdg-data'),
    XDG_CONFIG_HOME: join(home.home, '.config'),
    XDG_RUNTIME_DIR: run,
    CPW_KEYCHAIN_SERVICE: 'cp-whisperx-test',
    LANG: 'C.UTF-8',
  };
  const child = spawn('dbus-run-session', ['--config-file', noServiceConfig(home.root), '--', process.execPath, fixture('keychain-contract'), BIN], { env, cwd: home.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const r = await collect(child, JSON.stringify(plan));
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`the provider session printed nothing (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  const doc = JSON.parse(line) as { results: StepResult[]; error?: string; windows?: string[] };
  if (doc.error) throw new Error(`${doc.error}\nwindows: ${JSON.stringify(doc.windows)}\nresults: ${JSON.stringify(doc.results, null, 1).slice(0, 4000)}`);
  const byLabel = (label: string) => {
    const found = doc.results.find((x) => x.label === label);
    if (!found) throw new Error(`no step ${label}`);
    return found;
  };
  return { results: doc.results, byLabel };
}

/** One line of the closing table: state, command, exit code, time. */
export function tableLine(provider: string, r: StepResult): string {
  return `| ${provider} | ${r.label} | ${r.code} | ${(r.ms / 1000).toFixed(2)} s |${r.dialog ? ` dialog "${r.dialog}" after ${((r.dialogAfterMs ?? 0) / 1000).toFixed(2)} s` : ''}`;
}
