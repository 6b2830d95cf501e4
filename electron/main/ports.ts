/**
 * What the handlers need from the desktop, behind small ports so the
 * handlers are plain functions tests run without Electron.
 */

/** The system clipboard (Electron's `clipboard`). */
export interface ClipboardPort {
  readText(): string;
  writeText(text: string): void;
  clear(): void;
}

/** A file chooser (Electron's `dialog.showOpenDialog`). Resolves to a path, or null when cancelled. */
export interface DialogPort {
  chooseSecretsFile(): Promise<string | null>;
}

/** The system browser (Electron's `shell.openExternal`). */
export interface ExternalPort {
  open(url: string): Promise<void>;
}

/** Timers, injectable so tests control time. */
export interface SchedulerPort {
  setTimeout(fn: () => void, ms: number): unknown;
}
