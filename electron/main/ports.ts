/**
 * What the handlers need from the desktop, behind small ports so the
 * handlers are plain functions tests run without Electron.
 */
import type { EventPayloads, VaultEvent } from '../../shared/core/ipc-contract';

/** The system clipboard (Electron's `clipboard`). */
export interface ClipboardPort {
  readText(): string;
  writeText(text: string): void;
  clear(): void;
}

/** Native dialogs owned by main (Electron's `dialog`): what the page cannot fake. */
export interface DialogPort {
  /** A file chooser. Resolves to a path, or null when cancelled. */
  chooseSecretsFile(): Promise<string | null>;
  /** "Migrate the secrets in <path>?" for a dropped file. True when the user confirmed. */
  confirmSource(path: string): Promise<boolean>;
  /** "Delete these plaintext files?" listing every path. True when the user confirmed. */
  confirmRemovePlaintext(paths: readonly string[]): Promise<boolean>;
  /** A save dialog for a new export file. Resolves to a path, or null when cancelled. */
  chooseExportTarget(): Promise<string | null>;
  /** An open dialog for an export file to import. Resolves to a path, or null when cancelled. */
  chooseExportFile(): Promise<string | null>;
  /** A file chooser for a team file (cpw-team.age). Resolves to a path, or null when cancelled. */
  chooseTeamFile(): Promise<string | null>;
}

/** The system browser (Electron's `shell.openExternal`). */
export interface ExternalPort {
  open(url: string): Promise<void>;
}

/** Timers, injectable so tests control time. */
export interface SchedulerPort {
  setTimeout(fn: () => void, ms: number): unknown;
}

/** Main -> window events (Electron's `webContents.send`). */
export interface EventPort {
  send<E extends VaultEvent>(event: E, payload: EventPayloads[E]): void;
}

/** HTTP for the avatar (avatar.ts's avatarFetchPort: undici, connecting only to public addresses; tests give their own). */
export type FetchPort = (url: string, init: { redirect: 'manual'; signal: AbortSignal; headers: Record<string, string> }) => Promise<Response>;

/** Desktop notifications (Electron's `Notification`). */
export interface NotifierPort {
  notify(notification: { title: string; body: string }): void;
}
