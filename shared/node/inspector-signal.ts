/**
 * Makes SIGUSR1 end this process, as it ends any program that does not handle it. Node instead starts its
 * inspector on it: a debugger on 127.0.0.1:9229 with no authentication, to which any local user can attach and read
 * every secret in memory. The
 * cpw-vault command does this itself; a library does not change its host's signal handling unasked, so a
 * long-running stage that reads secrets calls this once, early. A listener added and removed puts the default
 * action back (libuv's handler replaced Node's inspector handler, then SIG_DFL), so it works even while the main
 * thread is busy; SIGUSR1 listeners the program has, or adds later, still get the signal instead. Throws nothing;
 * does nothing where there is no SIGUSR1 (Windows).
 */
export function refuseInspectorSignal(): void {
  if (process.platform === 'win32') return;
  const noInspector = () => {};
  process.on('SIGUSR1', noInspector);
  process.off('SIGUSR1', noInspector);
}
