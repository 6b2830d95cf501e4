import type { RotateReminder } from './team-document';

/** What the desktop Team section shows for one team file (names and comparisons only, never a value). */
export interface TeamView {
  path: string;
  /** The user's own age public key, or null before a team key exists. */
  you: string | null;
  /** Whether the file is encrypted to the user. */
  recipient: boolean;
  /** The user's member name in the file, when a recipient; every name of their key when it has several ("alice and al"). */
  member: string | null;
  members: { name: string; recipient: string }[];
  /** Keys shared (names only), and how the user's own value compares. */
  keys: { id: string; local: 'same' | 'differs' | 'absent'; updated_at: string; updated_by: string | null }[];
  rotate: RotateReminder[];
  /** Why the recipients file disagrees with the team file, when it does. */
  warning: string | null;
  /** What to do when the user is not a recipient. */
  fix: string | null;
}
