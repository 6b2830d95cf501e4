/**
 * Main's native dialogs, one at a time. Every dialog the page can cause
 * (a file chooser, "migrate the secrets in <path>?", "delete these files?",
 * the export and team choosers) goes through this gate: while one is open,
 * another request is refused at once instead of stacking a second dialog.
 * A compromised page calling migrationDrop in a loop would otherwise queue
 * dialog after dialog until the user, tired of them, confirms a file the
 * page chose — and the confirmation is what guards reading it.
 */
import { VaultError } from '../../shared/core/errors';
import type { DialogPort } from './ports';

export function oneDialogAtATime(dialog: DialogPort): DialogPort {
  let open = false;
  const gate = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    if (open) throw new VaultError('INVALID_ARGUMENT', 'cpw-vault is already waiting for your answer in one of its dialogs.', 'Answer (or close) the open dialog, then try again.');
    open = true;
    try {
      return await fn(...args);
    } finally {
      open = false;
    }
  };
  return {
    chooseSecretsFile: gate(() => dialog.chooseSecretsFile()),
    confirmSource: gate((path: string) => dialog.confirmSource(path)),
    confirmRemovePlaintext: gate((paths: readonly string[]) => dialog.confirmRemovePlaintext(paths)),
    chooseExportTarget: gate(() => dialog.chooseExportTarget()),
    chooseExportFile: gate(() => dialog.chooseExportFile()),
    chooseTeamFile: gate(() => dialog.chooseTeamFile()),
  } satisfies DialogPort;
}
