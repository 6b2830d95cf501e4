import { catalogEntry } from './catalog';
import { splitCredentialId, type CredentialId } from './credential';

/** Workflows a pipeline can run. */
export const WORKFLOW_NAMES = ['transcribe', 'translate', 'subtitle', 'diarize', 'summarize'] as const;
export type WorkflowName = (typeof WORKFLOW_NAMES)[number];

/** AI providers a user can prefer for summaries. */
export const AI_PROVIDERS = ['openai', 'anthropic', 'google'] as const;
export type AiProvider = (typeof AI_PROVIDERS)[number];

/** One need of a workflow: any one of `anyOf` satisfies it; the first is the usual one. */
export interface Requirement {
  readonly anyOf: readonly CredentialId[];
  readonly description: string;
  /** For summarize: the credential named by preferences.ai_provider is preferred. */
  readonly preferByProvider?: boolean;
}

export interface WorkflowDefinition {
  readonly name: WorkflowName;
  readonly title: string;
  readonly stage: string;
  readonly requires: readonly Requirement[];
}

const HF: Requirement = { anyOf: ['huggingface.token'], description: 'HuggingFace token (WhisperX ASR models)' };

/** What each workflow needs. */
export const WORKFLOWS: Readonly<Record<WorkflowName, WorkflowDefinition>> = {
  transcribe: { name: 'transcribe', title: 'Transcribe', stage: 'stage 06 WhisperX ASR', requires: [HF] },
  translate: { name: 'translate', title: 'Translate', stage: 'WhisperX ASR + translation', requires: [HF] },
  subtitle: {
    name: 'subtitle', title: 'Subtitle', stage: 'stage 02 TMDB enrichment',
    requires: [HF, { anyOf: ['tmdb.api_key'], description: 'TMDB API key (character names)' }],
  },
  diarize: {
    name: 'diarize', title: 'Diarize', stage: 'stage 05 pyannote VAD',
    requires: [{ anyOf: ['pyannote.token', 'huggingface.token'], description: 'pyannote token (or a HuggingFace token in its place)' }],
  },
  summarize: {
    name: 'summarize', title: 'Summarize', stage: 'stage 13 AI summarization',
    requires: [{
      anyOf: ['openai.api_key', 'anthropic.api_key', 'google.api_key'],
      description: 'an AI provider API key (OpenAI, Anthropic or Google)', preferByProvider: true,
    }],
  },
};

/** True when `name` is a known workflow. */
export function isWorkflowName(name: string): name is WorkflowName {
  return (WORKFLOW_NAMES as readonly string[]).includes(name);
}

/** A requirement that is not met, with how to fix it. */
export interface MissingItem {
  description: string;
  credentials: CredentialId[];
  fix: string;
}

/** Structured readiness of one workflow. */
export interface WorkflowStatus {
  workflow: WorkflowName;
  title: string;
  ready: boolean;
  /** Credentials this workflow would use now, in requirement order. */
  uses: CredentialId[];
  missing: MissingItem[];
  warnings: string[];
  notes: string[];
  /** Set when readiness cannot be known (the secret store cannot be asked): `ready` is then false, `missing` empty. */
  unknown?: string;
}

/** Why the secret store could not be asked, as readiness shows it ("keychain locked"). */
export function unknownReason(code: string): string {
  if (code === 'KEYCHAIN_LOCKED') return 'keychain locked';
  if (code === 'KEYCHAIN_TIMEOUT') return 'keychain not answering';
  if (code === 'VAULT_LOCKED') return 'vault file locked';
  if (code === 'VAULT_NOT_FOUND') return 'vault file missing';
  if (code === 'VAULT_CORRUPT' || code.startsWith('PROFILE_') || code === 'IO_ERROR') return 'vault file unreadable';
  return 'keychain unavailable';
}

/** `status` when the secret store cannot be asked: not ready, nothing called missing, the reason given. */
export function unknownStatus(status: WorkflowStatus, code: string): WorkflowStatus {
  return { ...status, ready: false, uses: [], missing: [], unknown: unknownReason(code) };
}

/** The fix line for a missing credential: the CLI command and the desktop screen. */
export function fixLine(id: CredentialId): string {
  const entry = catalogEntry(id);
  const { service, key } = splitCredentialId(id);
  // The command ends the line: pasted whole, prose after it was a syntax error in bash and dash, a glob in zsh.
  const add = `in the app (Credentials → ${entry?.label ?? id}) or run: cpw-vault set ${service} ${key}`;
  return entry?.url ? `Get one at ${entry.url}; add it ${add}` : `Add it ${add}`;
}

function orderFor(req: Requirement, provider: AiProvider | undefined): CredentialId[] {
  if (!req.preferByProvider || !provider) return [...req.anyOf];
  const preferred = `${provider}.api_key`;
  return req.anyOf.includes(preferred) ? [preferred, ...req.anyOf.filter((c) => c !== preferred)] : [...req.anyOf];
}

/**
 * Validates a workflow against what is present. Pure: `has` says whether a
 * credential has a value (from env or keychain); `aiProvider` is the
 * preference that picks the summarize provider. Throws nothing.
 */
export function validateWorkflow(
  name: WorkflowName,
  has: (id: CredentialId) => boolean,
  aiProvider?: AiProvider,
): WorkflowStatus {
  const def = WORKFLOWS[name];
  const status: WorkflowStatus = { workflow: name, title: def.title, ready: true, uses: [], missing: [], warnings: [], notes: [] };
  for (const req of def.requires) {
    const order = orderFor(req, aiProvider);
    const found = order.find(has);
    if (!found) {
      status.ready = false;
      status.missing.push({ description: req.description, credentials: order, fix: fixLine(order[0]!) });
      continue;
    }
    status.uses.push(found);
    if (found !== order[0]) {
      const wanted = catalogEntry(order[0]!)?.label ?? order[0]!;
      const used = catalogEntry(found)?.label ?? found;
      if (req.preferByProvider) {
        status.warnings.push(`preferences.ai_provider asks for ${wanted}, which is not set; ${used} will be used instead. ${fixLine(order[0]!)}`);
      } else {
        status.notes.push(`${used} is used in place of ${wanted}.`);
      }
    }
  }
  return status;
}

/** A credential the first-run flows offer (app onboarding and `cpw-vault setup` alike). */
export interface OfferedCredential {
  id: CredentialId;
  /** Needed for the main workflow to be ready; the others are optional. */
  required: boolean;
  /** The workflows it serves, e.g. "transcribe, translate, subtitle, diarize". */
  purpose: string;
}

/**
 * The credentials to offer someone who runs `main` and `others`, derived from
 * the workflow catalog so onboarding and `setup` can never disagree. Each
 * need is offered by its usual credential, unless a credential offered
 * already meets it (a HuggingFace token stands in for pyannote); a need the
 * user meets by choosing a provider (summarize) offers every provider, the
 * preferred one first. Needs of `main` are required, the rest optional.
 * Pure; throws nothing.
 */
export function offeredCredentials(main: WorkflowName, others: readonly WorkflowName[] = [], aiProvider?: AiProvider): OfferedCredential[] {
  const order = [main, ...WORKFLOW_NAMES.filter((w) => w !== main && others.includes(w))];
  const offered = new Map<CredentialId, boolean>();
  for (const name of order) {
    for (const req of WORKFLOWS[name].requires) {
      const options = orderFor(req, aiProvider);
      if (options.some((id) => offered.has(id))) continue;
      const picked = req.preferByProvider ? options : options.slice(0, 1);
      picked.forEach((id, i) => offered.set(id, name === main && i === 0));
    }
  }
  return [...offered].map(([id, required]) => ({
    id,
    required,
    purpose: order.filter((w) => WORKFLOWS[w].requires.some((r) => r.anyOf.includes(id))).sort((a, b) => WORKFLOW_NAMES.indexOf(a) - WORKFLOW_NAMES.indexOf(b)).join(', '),
  }));
}
