import { readSideSubject } from '../node/doctor';
import { moveRecorded } from '../node/credentials/move-record';
import { isVaultError } from '../core/errors';
import { NeedsFullVault } from '../node/vault/reader';
import { doctor, muteModeWarning, switchRecordOf } from './commands/doctor';
import { lightMain, type LightExtension } from './fast';
import type { CliIO } from './io';

/**
 * A plain `cpw-vault doctor` on the light path, as dist/light-doctor.cjs:
 * the light bundle plus doctor and the profile schema, without the argument
 * parser, prompts or writer of the full CLI, and without weighing on `get`
 * (whose bundle stays free of the schema). `doctor --repair`, a vault
 * whose index needs a repair first, and a backend switch left unfinished go
 * to the full CLI, as everything unusual does.
 */
const DOCTOR: LightExtension = {
  spec: { positional: [0], options: { '--json': 'flag' } },
  async run(_args, ctx, { reader, profile }) {
    muteModeWarning(ctx);
    // A crashed writer's journal or a count that disagrees: the full vault repairs before doctor reports, as there.
    // So does a switch's record (one stat): its start finishes a killed switch, whose old backend still held every
    // secret while doctor said all was well; doctor reports one it could not finish.
    // An index it cannot read (a damaged profile.changes beside the profile): the full doctor reports it in its report.
    // By name, not only by count: doctor is where a value removed in Seahorse is named (one census, as the full doctor's).
    const repair = reader.needsRepair({ census: true }).catch((err: unknown) => isVaultError(err) || err instanceof NeedsFullVault);
    if (moveRecorded(switchRecordOf(ctx)) || (await repair)) throw new NeedsFullVault();
    return doctor({}, { ...ctx, doctorSubject: async () => readSideSubject(reader, profile) });
  },
};

/** Runs `doctor` (or hands over to the full CLI). */
export function main(argv: string[], given?: CliIO): Promise<number> {
  return lightMain(argv, given, { doctor: DOCTOR });
}
