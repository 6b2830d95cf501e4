// Telling a user that a command waits for another cpw-vault's lock, so it does not look hung.

/** How long a wait goes untold. */
const WAIT_NOTICE_MS = 1_000;
let waitNotice: ((message: string) => void) | undefined;

/**
 * Where a wait of over a second for another cpw-vault is told, once per wait
 * (the CLI: its stderr, so a `set` behind another cpw-vault's lock or its
 * change of the same credential does not look hung for up to 30 s); unset,
 * waits are silent (the app, the library).
 */
export function onLockWait(notice: ((message: string) => void) | undefined): void {
  waitNotice = notice;
}

/** For one wait: tells `describe()` once, when called a second or more after the wait began (and a notice is set). */
export function waitTeller(): (describe: () => string) => void {
  const at = Date.now() + WAIT_NOTICE_MS;
  let told = false;
  return (describe) => {
    if (told || !waitNotice || Date.now() < at) return;
    told = true;
    waitNotice(describe());
  };
}
