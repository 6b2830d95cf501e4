// While the keychain cannot be asked (its collection locked), readiness is
// unknown, never "missing" or "ready": doctor, check and list exit 4 like get,
// and say the keychain's problem once.
import { describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli';
import { inPrivateSession } from '../helpers/private-session';

const HF = `hf_${'Lock'.repeat(9)}`;

/** Runs each command in the locked session; one JSON line per command: code, stdout, stderr. */
const RUN_ALL = `
import { spawnSync } from 'node:child_process';
const [bin, ...lists] = process.argv.slice(1);
const out = [];
for (const args of JSON.parse(lists[0])) {
  // \`which openai api_key\` runs with its env var set (a CI job exporting its key).
  const env = args[1] === 'openai' ? { ...process.env, OPENAI_API_KEY: 'sk-from-the-environment-00000000000000' } : process.env;
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60000, env });
  out.push({ args: args.join(' '), code: r.status, stdout: r.stdout, stderr: r.stderr });
}
process.stdout.write(JSON.stringify(out));
`;

// env and exec too: with nothing indexed (a fresh user, or ~/.cp-whisperx deleted) they once said "missing" (exit 3) here.
const COMMANDS = [['doctor'], ['doctor', '--json'], ['check', 'summarize'], ['check', 'transcribe'], ['check', 'transcribe', '--json'], ['list'], ['which', '--all'], ['which', 'huggingface', 'token', '--json'], ['which', 'openai', 'api_key'], ['get', 'huggingface', 'token'], ['env', '--workflow', 'transcribe'], ['exec', '--workflow', 'summarize', '--', 'true']];

async function lockedRun(setup: string) {
  const r = await inPrivateSession('locked', [process.execPath, '--input-type=module', '-e', RUN_ALL, BIN, JSON.stringify(COMMANDS)], { setup });
  return Object.fromEntries((JSON.parse(r.stdout) as Array<{ args: string; code: number; stdout: string; stderr: string }>).map((x) => [x.args, x]));
}

describe('a locked keychain: readiness unknown, exit 4 everywhere', () => {
  for (const [name, setup] of [
    ['nothing stored yet', ''],
    ['a token stored before the lock', `printf %s '${HF}' | '${process.execPath}' '${BIN}' set huggingface token`],
  ] as const) {
    it(`${name}: doctor, check and list say unknown (keychain locked) once, exit 4; JSON ready is never true`, async () => {
      const r = await lockedRun(setup);
      // Exit 4 everywhere, but for a credential its env var gives: that value wins whatever the keychain holds.
      for (const [args, x] of Object.entries(r)) expect(x.code, `${args}\n${x.stderr}`).toBe(args === 'which openai api_key' ? 0 : 4);
      expect(r['which openai api_key']!.stdout).toMatch(/openai\.api_key\s+env OPENAI_API_KEY/);
      const doctor = r['doctor']!.stderr;
      expect(doctor).toMatch(/\? transcribe: unknown: keychain locked/);
      expect(doctor).not.toMatch(/transcribe: (ready|not ready)/);
      expect(doctor).not.toContain('missing:');
      expect(doctor.match(/KEYCHAIN_LOCKED/g)).toHaveLength(1);
      const json = JSON.parse(r['doctor --json']!.stdout);
      for (const w of json.workflows) expect(w).toMatchObject({ ready: false, unknown: 'keychain locked', missing: [] });
      expect(r['check summarize']!.stderr).toMatch(/\? summarize: unknown: keychain locked/);
      expect(r['check summarize']!.stderr.match(/KEYCHAIN_LOCKED/g)).toHaveLength(1);
      // A credential stored before the lock is read to prove readiness: that read's KEYCHAIN_LOCKED makes readiness unknown too (not an error document).
      expect(JSON.parse(r['check transcribe --json']!.stdout)).toMatchObject({ ready: false, unknown: 'keychain locked', uses: [], missing: [], keychain: { code: 'KEYCHAIN_LOCKED' } });
      expect(r['check transcribe']!.stderr).toMatch(/\? transcribe: unknown: keychain locked/);
      expect(r['check transcribe']!.stderr.match(/KEYCHAIN_LOCKED/g)).toHaveLength(1);
      for (const cmd of ['env --workflow transcribe', 'exec --workflow summarize -- true']) {
        expect(r[cmd]!.stderr, cmd).toMatch(/\[KEYCHAIN_LOCKED\]/);
        expect(r[cmd]!.stderr, cmd).not.toMatch(/missing|WORKFLOW_NOT_READY/i);
      }
      // Nothing to read: the error also says which env vars would have done (a CI run exporting its keys).
      if (!setup) expect(r['env --workflow transcribe']!.stderr).toMatch(/keys are not all in the environment either: .*\(HF_TOKEN or HUGGING_FACE_HUB_TOKEN\)/);
      expect(r['list']!.stderr).toMatch(/sources unknown: keychain locked/);
      expect(r['list']!.stdout).toMatch(/huggingface\s+token/);
      // which as list: the index's sources, said to be unchecked (it exited 0, after waiting out each comparison).
      expect(r['which --all']!.stderr).toMatch(/sources unknown: keychain locked/);
      expect(r['which --all']!.stderr.match(/KEYCHAIN_LOCKED/g)).toHaveLength(1);
      if (setup) expect(r['which --all']!.stdout).toMatch(/huggingface\.token\s+keychain/);
      expect(JSON.parse(r['which huggingface token --json']!.stdout)).toMatchObject({ keychain: { code: 'KEYCHAIN_LOCKED' } });
    });
  }
});
