// A batch read (getMany, the census) whose first call goes unanswered on its own deadline before the command's:
// said as the batch's deadline says it (how far it got), with the call that went unanswered. On a loaded machine
// the two deadlines (the call's silence, what the command had left) fall together, and whichever fired first chose
// the message: "no answer to ReadAlias" alone for a read of 1,000 values that never began.
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/children';
import { inPrivateSession } from '../helpers/private-session';

// A keychain that answered nothing since the batch began (the daemon stopped here) is said to be stopped, not slow:
// "the keychain answers too slowly (busy with another change?)" sent the user waiting for it.
describe('a batch whose call times out first', () => {
  it('says how far the batch got, and which call went unanswered', async () => {
    const r = await inPrivateSession('unlocked', [process.execPath, fixture('batch-call-timeout')]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as { getMany: string; getOne: string; afterCount: string; list: string; census: string };
    expect(out.getMany).toMatch(/^KEYCHAIN_TIMEOUT: .*reading 3 values of "cp-whisperx-batch": 0 of 3 read in [\d.]+ s; the keychain has not answered since \(stopped or hung, or a dialog is waiting\?\): no answer to org\.freedesktop\.[\w.]+ within 0\.4 s/);
    // One value (a stage's `env --workflow transcribe`): "reading 1 values" read as a typo in a message users paste.
    expect(out.getOne).toMatch(/^KEYCHAIN_TIMEOUT: .*reading 1 value of "cp-whisperx-batch": 0 of 1 read in [\d.]+ s; /);
    // A store given up before the batch began keeps that reason: "0 of 1 read in 0 s" after a wait of the whole timeout
    // (the library's count at its start had timed out) told of a read that never waited.
    // (Then the stopped daemon, when the bus had named it by the deadline: see keychain-deadline.test.ts.)
    expect(out.afterCount).toMatch(/^KEYCHAIN_TIMEOUT: The keychain did not answer in time\. \(no answer to org\.freedesktop\.[\w.]+ within 0\.4 s\)(?: gnome-keyring \(pid \d+\) is stopped \(kill -STOP, a suspended session\)\.)?$/);
    expect(out.list).toMatch(/^KEYCHAIN_TIMEOUT: .*listing the items of "cp-whisperx-batch" \(none read yet\) in [\d.]+ s; .*: no answer to org\.freedesktop\.[\w.]+ within 0\.4 s/);
    // doctor's census of a stopped keychain: its count went unanswered, as before the census listed from it (the
    // call, as a count says it), not a listing that never began ("listing the items (none read yet)", since f5594a5).
    expect(out.census).toMatch(/^KEYCHAIN_TIMEOUT: The keychain did not answer in time\. \(no answer to org\.freedesktop\.[\w.]+ within 0\.4 s\)(?: gnome-keyring \(pid \d+\) is stopped \(kill -STOP, a suspended session\)\.)?$/);
  }, 60_000);

  // The library and the app have no command deadline: their earlier reads count against nothing. "after 0.4 s of
  // earlier keychain reads in this command" told a library user of a command that does not exist, and of a budget
  // their call never had.
  it('with no command deadline (the library, the app), says no "earlier keychain reads in this command"', async () => {
    const r = await inPrivateSession('unlocked', [process.execPath, fixture('library-batch-timeout')]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as { getMany: string };
    expect(out.getMany).toMatch(/^KEYCHAIN_TIMEOUT: .*reading 3 values of "cp-whisperx-library": 0 of 3 read in [\d.]+ s; the keychain has not answered/);
    expect(out.getMany).not.toMatch(/command|earlier/);
  }, 60_000);
});
