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
  /**
   * Don't keep the process alive (server and its connections unref'd): a script can simply end, and
   * exit hooks such as a tracing SDK's flush still reach the emulator while the process winds down.
   */
  unref?: boolean;
  /**
   * How `stream: true` responses are written: 'event' (default) one write per SSE event; 'split' cuts
   * the byte stream at seeded offsets (inside lines, inside UTF-8 characters, between the `\n\n`)
   * across separate writes. Per request: header `x-emulator-chunking`.
   */
  chunking?: 'event' | 'split';
  /** Milliseconds between SSE events (default 0). */
  eventDelayMs?: number;
  /**
   * Fault for requests without an `x-emulator-fault` header: a spec applied to every request (stream
   * faults only affect streamed responses), or a function choosing per request. See EmulatorFault.
   */
  fault?: EmulatorFault | ((request: FaultRequest) => EmulatorFault | null | undefined);
}

/**
 * An injected fault (also the value of the `x-emulator-fault` request header). N defaults to 3.
 * - `cut-after:N`: the stream's connection is destroyed after N events (no `done`);
 * - `truncate:N`: the stream ends cleanly after N events (no `done`);
 * - `error-event:N`: after N events an `event: error` (`{"error":{…}}`), then the end;
 * - `malformed-json:N`: a JSON response body is cut in half; a stream gets, after N events, one event
 *   whose data is cut in half, then ends;
 * - `status:CODE`: any route answers CODE (400–599) with an OpenAI-style error body and does nothing
 *   else; 429 also sends `retry-after: 0`;
 * - `reset-before-headers`: the connection is destroyed before any response; nothing is processed;
 * - `none`: no fault (overrides the option).
 * The stream faults do not stop the run: the emulator finishes it as the real server would.
 */
export type EmulatorFault =
  | `cut-after:${number}`
  | `truncate:${number}`
  | `error-event:${number}`
  | `malformed-json:${number}`
  | 'cut-after'
  | 'truncate'
  | 'error-event'
  | 'malformed-json'
  | `status:${number}`
  | 'reset-before-headers'
  | 'none';

/** What the `fault` option function sees of a request. */
export interface FaultRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/threads/thread_abc/runs`. */
  path: string;
  /** Lower-cased names (e.g. `x-stainless-retry-count` tells the SDK's retries apart). */
  headers: Record<string, string>;
  /** The JSON body has `stream: true`. */
  stream: boolean;
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
  /** The fault injected into the response (canonical spec, e.g. `cut-after:3`), when one took effect. */
  fault?: string;
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
export type EmulatorScript = 'answer' | 'long_answer' | 'function' | 'parallel_functions' | 'code' | 'file_search' | 'failed' | 'expired' | 'incomplete' | 'cancel';

export const EMULATOR_SCRIPTS: readonly EmulatorScript[] = ['answer', 'long_answer', 'function', 'parallel_functions', 'code', 'file_search', 'failed', 'expired', 'incomplete', 'cancel'];

/**
 * The scripted behaviours of a Responses API request (`POST /responses`), chosen by `metadata.script`
 * on the request, else by an `[emulator:script=…]` marker in its instructions, else from the request
 * itself: `tool_choice: 'none'` → 'answer'; the next `[emulator:call=…]` / `[emulator:handoff=…]` turn
 * of the instructions → 'function' / 'parallel_functions' (see the emulator README); a follow-up whose
 * input ends with the outputs of calls to tools it offers → 'answer' (the answer uses the outputs); a
 * forced tool (`tool_choice: {type}`) or else the first tool of a known type → function 'function'
 * (the first non-`transfer_to_*` function), code_interpreter 'code', file_search 'file_search',
 * web_search(_preview) 'web_search', mcp 'mcp', image_generation 'image'; a `reasoning` parameter with
 * an effort other than 'none' or a summary → 'reasoning' (also instead of 'answer'); otherwise 'answer'.
 * Function calls of a reasoning request come after a reasoning item.
 * - 'answer': a message (JSON filling `text.format`'s json_schema when given, for `responses.parse`);
 * - 'function' / 'parallel_functions': one / two `function_call` items (the response completes; the
 *   follow-up with `function_call_output` input and previous_response_id or the conversation answers);
 * - 'code': a `code_interpreter_call` (container_id, code; `outputs` logs with include
 *   `code_interpreter_call.outputs`) and a message;
 * - 'file_search': a `file_search_call` (queries; `results` with include `file_search_call.results`)
 *   and a message with `file_citation` annotations;
 * - 'web_search': a `web_search_call` (action search; sources with include
 *   `web_search_call.action.sources`) and a message with `url_citation` annotations;
 * - 'reasoning': a `reasoning` item (summary parts when `reasoning.summary` was asked for) and a
 *   message; usage has reasoning tokens;
 * - 'mcp': `mcp_list_tools`, an `mcp_call` (server_label, name, arguments, output) and a message;
 * - 'image': an `image_generation_call` (a tiny base64 PNG result) and a message;
 * - 'failed': status failed with an `error` object;
 * - 'incomplete': the message cut at `max_output_tokens` (16 without one): status incomplete,
 *   `incomplete_details.reason: 'max_output_tokens'`;
 * - 'cancel': (background only) stays in_progress until `POST /responses/{id}/cancel`.
 * Chat completions (`POST /chat/completions`) use 'answer' and 'function' / 'parallel_functions' the
 * same way (`metadata.script`, else tool_choice / tools; a request ending with `role: tool` messages
 * answers).
 */
export type ResponseScript = 'answer' | 'function' | 'parallel_functions' | 'code' | 'file_search' | 'web_search' | 'reasoning' | 'mcp' | 'image' | 'failed' | 'incomplete' | 'cancel';

export const RESPONSE_SCRIPTS: readonly ResponseScript[] = [
  'answer',
  'function',
  'parallel_functions',
  'code',
  'file_search',
  'web_search',
  'reasoning',
  'mcp',
  'image',
  'failed',
  'incomplete',
  'cancel',
];
