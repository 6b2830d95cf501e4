/**
 * Preference defaults and the light readings of them that do not need the
 * schema library: what `exec` passes to a stage and how much run history is
 * kept. The schema (profile-schema.ts) uses the same defaults.
 */
import { isWorkflowName, type WorkflowName } from './workflows';

/** The default of every preference with one. */
export const PREFERENCE_DEFAULTS = {
  default_workflow: 'transcribe',
  default_source_language: 'en',
  ai_provider: 'openai',
  enable_cost_tracking: true,
  history_max_runs: 500,
  history_max_age_days: 90,
} as const;

/** Bounds of the history preferences. */
export const HISTORY_LIMITS = { maxRuns: 1_000_000, maxAgeDays: 36_500 } as const;

/** The pipeline preferences a stage reads (CPW_AI_PROVIDER, CPW_SOURCE_LANGUAGE, CPW_COST_TRACKING). */
export interface PipelinePreferences {
  ai_provider: string;
  default_source_language: string;
  enable_cost_tracking: boolean;
}

function field<T>(prefs: unknown, name: string, ok: (v: unknown) => v is T, fallback: T): T {
  const v = prefs !== null && typeof prefs === 'object' ? (prefs as Record<string, unknown>)[name] : undefined;
  return ok(v) ? v : fallback;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isCount = (max: number) => (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max;

/** The pipeline preferences of a raw preferences object, defaults where absent or odd. */
export function pipelinePreferences(prefs: unknown): PipelinePreferences {
  return {
    ai_provider: field(prefs, 'ai_provider', isString, PREFERENCE_DEFAULTS.ai_provider),
    default_source_language: field(prefs, 'default_source_language', isString, PREFERENCE_DEFAULTS.default_source_language),
    enable_cost_tracking: field(prefs, 'enable_cost_tracking', isBoolean, PREFERENCE_DEFAULTS.enable_cost_tracking),
  };
}

/** The workflow `check` looks at when none is named: the stored default_workflow when it names one, else the default. */
export function defaultWorkflow(prefs: unknown): WorkflowName {
  return field(prefs, 'default_workflow', (v): v is WorkflowName => isString(v) && isWorkflowName(v), PREFERENCE_DEFAULTS.default_workflow);
}

/** How much run history to keep, from a raw preferences object. */
export function historyBounds(prefs: unknown): { maxRuns: number; maxAgeDays: number } {
  return {
    maxRuns: field(prefs, 'history_max_runs', isCount(HISTORY_LIMITS.maxRuns), PREFERENCE_DEFAULTS.history_max_runs),
    maxAgeDays: field(prefs, 'history_max_age_days', isCount(HISTORY_LIMITS.maxAgeDays), PREFERENCE_DEFAULTS.history_max_age_days),
  };
}
