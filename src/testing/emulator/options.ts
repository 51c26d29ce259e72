// Public option and handle types of the emulator. Kept free of `openai` imports so the published
// declaration of `@spanlens/instrumentation-openai/testing` does not depend on the SDK's types.

export interface EmulatorOptions {
  /** Port to listen on; 0 (default) picks a random free port. */
  port?: number;
  /** Interface to bind; default '127.0.0.1'. */
  host?: string;
  /**
   * How many responses show a run in each non-terminal stage before the next GET retrieve advances it
   * (default 1; the create / submit / cancel response counts as one). 0 = the first GET runs the
   * script until it waits (requires_action, a `cancel` script) or ends.
   */
  pollsPerStatus?: number;
  /** `openai-poll-after-ms` header on run responses (default 5); null omits it, like the real API. */
  pollAfterMs?: number | null;
  /** Seed of the deterministic ids and texts (default 1). */
  seed?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/threads/thread_abc/runs`. */
  path: string;
  /** Query parameters as sent (`include[]` keeps its brackets); repeated keys become arrays. */
  query: Record<string, string | string[]>;
  /** Request headers, lower-cased names, values unredacted. */
  headers: Record<string, string>;
  /** Parsed JSON body, a summary of a multipart body, or null when there was none. */
  body: unknown;
}

export interface Emulator {
  /** e.g. `http://127.0.0.1:PORT/v1`: pass as `baseURL` to `new OpenAI()`. */
  baseURL: string;
  port: number;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
  /** Forget all entities and recorded requests (id counters keep going, so ids stay unique). */
  reset(): void;
}

/** The scripted behaviours a run can follow (`metadata.script` on the run or the assistant). */
export type EmulatorScript =
  | 'answer'
  | 'function'
  | 'parallel_functions'
  | 'code'
  | 'file_search'
  | 'failed'
  | 'expired'
  | 'incomplete'
  | 'cancel';

export const EMULATOR_SCRIPTS: readonly EmulatorScript[] = [
  'answer',
  'function',
  'parallel_functions',
  'code',
  'file_search',
  'failed',
  'expired',
  'incomplete',
  'cancel',
];
