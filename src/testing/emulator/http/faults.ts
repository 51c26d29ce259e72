import { ApiError } from '../engine/errors';
import type { EmulatorFault, EmulatorOptions, FaultRequest } from '../options';

// Injected network and server faults. A request picks one with the `x-emulator-fault` header (the SDK
// passes per-call `headers`), else the emulator's `fault` option decides; `none` turns it off. Every
// fault is deterministic: it depends only on the spec and the request, never on time or chance.
//
//   cut-after[:N]        stream: destroy the connection after N events (default 3), no `done`
//   cut-mid-event[:N]    stream: after N events, half of the next event's bytes, then the connection destroyed
//   truncate[:N]         stream: end the response cleanly after N events, no `done`
//   error-event[:N]      stream: after N events an `event: error` with an error body, then the end
//   malformed-json[:N]   JSON response: the body cut in half; stream: after N events one event whose
//                        data is cut in half, then the end
//   status:CODE          any route: that HTTP status with an OpenAI-style error body, nothing processed
//                        (429 also sends `retry-after: 0`)
//   reset-before-headers any route: the connection is destroyed before any response, nothing processed
//   reset-after-headers  any route: processed, the status line and headers sent, then the connection is
//                        destroyed before the body (a stream: before its first event)
//   delay:MS             any route: the answer waits MS ms (≤ 60000) first; a client timeout shorter than
//                        that sees a request timeout (nothing is processed when the client gave up)
//   flaky:CODE           like status:CODE, but only on a first attempt (no `x-stainless-retry-count` ≥ 1):
//                        the SDK's retry then succeeds
//   mutate:KIND          the answer as usual, but its JSON (body, or every SSE event's data) changed:
//                        unknown-types  step / step_details / tool call / content part types unknown
//                        nulls          objects the SDK documents as objects (usage, step_details,
//                                       content, delta, required_action, metadata, …) are null
//                        missing        ids and fields removed (thread_id, run_id, assistant_id, model,
//                                       created_at, completed_at, object)
//                        unknown-event  streams: an unknown event after every event; bodies: an unknown field

export const FAULT_HEADER = 'x-emulator-fault';

export type Fault =
  | { kind: 'cut-after' | 'cut-mid-event' | 'truncate' | 'error-event' | 'malformed-json'; events: number }
  | { kind: 'status'; status: number }
  | { kind: 'reset-before-headers' | 'reset-after-headers' }
  | { kind: 'delay'; ms: number }
  | { kind: 'flaky'; status: number }
  | { kind: 'mutate'; mutation: Mutation };

export type Mutation = 'unknown-types' | 'nulls' | 'missing' | 'unknown-event';
const MUTATIONS: readonly Mutation[] = ['unknown-types', 'nulls', 'missing', 'unknown-event'];

const DEFAULT_EVENTS = 3;
const STREAM_KINDS = ['cut-after', 'cut-mid-event', 'truncate', 'error-event', 'malformed-json'] as const;

/** Parses a fault spec; null for `none` / empty. Throws an Error saying what is wrong. */
export function parseFault(spec: string): Fault | null {
  const text = spec.trim();
  if (text === '' || text === 'none') return null;
  const [kind = '', arg, ...rest] = text.split(':');
  if (rest.length > 0) throw new Error(`Invalid fault '${spec}'.`);
  if ((kind === 'reset-before-headers' || kind === 'reset-after-headers') && arg === undefined) return { kind };
  if (kind === 'status' || kind === 'flaky') {
    const status = Number(arg);
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new Error(`Invalid fault '${spec}': expected ${kind}:400…599.`);
    return { kind, status };
  }
  if (kind === 'delay') {
    const ms = Number(arg);
    if (!Number.isInteger(ms) || ms < 0 || ms > 60_000) throw new Error(`Invalid fault '${spec}': expected delay:MS, 0 ≤ MS ≤ 60000.`);
    return { kind, ms };
  }
  if (kind === 'mutate') {
    const mutation = MUTATIONS.find((m) => m === arg);
    if (!mutation) throw new Error(`Invalid fault '${spec}': expected mutate:${MUTATIONS.join('|')}.`);
    return { kind, mutation };
  }
  const streamKind = STREAM_KINDS.find((k) => k === kind);
  if (streamKind) {
    const events = arg === undefined ? DEFAULT_EVENTS : Number(arg);
    if (!Number.isInteger(events) || events < 0 || events > 100_000) throw new Error(`Invalid fault '${spec}': expected ${kind}:N, N ≥ 0.`);
    return { kind: streamKind, events };
  }
  throw new Error(
    `Unknown fault '${spec}'. Expected one of: cut-after:N, truncate:N, error-event:N, malformed-json[:N], status:CODE, flaky:CODE, reset-before-headers, reset-after-headers, delay:MS, mutate:KIND, none.`,
  );
}

/** The canonical spelling, as recorded in `emulator.requests[].fault`. */
export function faultLabel(fault: Fault): string {
  switch (fault.kind) {
    case 'status':
    case 'flaky':
      return `${fault.kind}:${fault.status}`;
    case 'reset-before-headers':
    case 'reset-after-headers':
      return fault.kind;
    case 'delay':
      return `delay:${fault.ms}`;
    case 'mutate':
      return `mutate:${fault.mutation}`;
    default:
      return `${fault.kind}:${fault.events}`;
  }
}

/** Validates the `fault` option up front (a string default fails at startEmulator, not per request). */
export function checkFaultOption(option: EmulatorOptions['fault']): void {
  if (typeof option === 'string') parseFault(option);
}

/** The fault of a request: its header first, then the option. A bad spec is the client's error (400). */
export function chooseFault(request: FaultRequest, option: EmulatorOptions['fault']): Fault | null {
  const header = request.headers[FAULT_HEADER];
  let spec: EmulatorFault | string | null | undefined = header;
  if (spec === undefined) spec = typeof option === 'function' ? option(request) : option;
  if (spec === undefined || spec === null) return null;
  try {
    return parseFault(spec);
  } catch (err) {
    throw new ApiError(400, (err as Error).message, 'invalid_request_error', FAULT_HEADER);
  }
}

/** Error bodies shaped (and, where known, worded) like the real API's for that status. */
export function statusFault(status: number): { error: ApiError; headers: Record<string, string> } {
  switch (status) {
    case 401:
      return {
        error: new ApiError(401, 'Incorrect API key provided: sk-***. You can find your API key at https://platform.openai.com/account/api-keys.', 'invalid_request_error', null, 'invalid_api_key'),
        headers: {},
      };
    case 429:
      return {
        error: new ApiError(429, 'Rate limit reached for requests. Please try again in 0s. (emulated fault)', 'requests', null, 'rate_limit_exceeded'),
        headers: { 'retry-after': '0' },
      };
    case 500:
      return { error: new ApiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error'), headers: {} };
    case 503:
      return { error: new ApiError(503, 'The server is overloaded or not ready yet.', 'server_error'), headers: {} };
    default:
      return {
        error: new ApiError(status, `Emulated HTTP ${status} fault.`, status >= 500 ? 'server_error' : 'invalid_request_error'),
        headers: {},
      };
  }
}

/** The `error` event's data for `error-event` (the SDK reads `data.error`). */
export const STREAM_ERROR = {
  error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: 'server_error' },
};

/** The faults that act on a stream's events (the rest act on the whole request). */
export type StreamFault = Extract<Fault, { events: number }>;

export function isStreamFault(fault: Fault): fault is StreamFault {
  return 'events' in fault;
}

/** flaky:CODE applies on a first attempt only (the SDK numbers its retries in `x-stainless-retry-count`). */
export function isFirstAttempt(headers: Record<string, string | undefined>): boolean {
  return !(Number(headers['x-stainless-retry-count'] ?? 0) >= 1);
}

const NULLED = new Set([
  'usage',
  'step_details',
  'content',
  'delta',
  'required_action',
  'metadata',
  'tool_resources',
  'last_error',
  'incomplete_details',
  'function',
  'code_interpreter',
  'file_search',
  'text',
]);
const REMOVED = new Set(['thread_id', 'run_id', 'assistant_id', 'model', 'created_at', 'completed_at', 'object']);

/** A copy of a JSON value changed by the mutation (the emulator's own state is never touched). */
export function mutateJson(mutation: Mutation, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  const copy = JSON.parse(JSON.stringify(value)) as unknown;
  const walk = (v: unknown, parentKey?: string): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, parentKey);
      return;
    }
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    for (const [key, child] of Object.entries(o)) {
      if (mutation === 'nulls' && NULLED.has(key) && child !== null && typeof child === 'object') {
        o[key] = null;
        continue;
      }
      if (mutation === 'missing' && REMOVED.has(key)) {
        delete o[key];
        continue;
      }
      walk(child, key);
    }
    if (mutation === 'unknown-types' && typeof o.type === 'string') {
      if (o.object === 'thread.run.step' || parentKey === 'step_details' || 'step_details' in o) o.type = 'future_step';
      else if (parentKey === 'tool_calls' || parentKey === 'tools') o.type = 'future_tool';
      else if (parentKey === 'content') o.type = 'future_content';
    }
    if (mutation === 'unknown-event' && parentKey === undefined) o.future_field = { object: 'future', value: [1, null, 'x'] };
  };
  walk(copy);
  return copy;
}

/** The unknown event `mutate:unknown-event` sends after every event of a stream. */
export const UNKNOWN_EVENT = { name: 'thread.future.event', data: { id: 'future_0001', object: 'thread.future', status: 'unknown', payload: null } };

/**
 * Makes an SSE writer apply a mutation to the data of every event it writes (and, for unknown-event,
 * follow each event with an unknown one). `done` and `error` events pass unchanged.
 */
export function mutateStream(out: { event(name: string, data: unknown): Promise<void> }, mutation: Mutation): void {
  const original = out.event.bind(out);
  out.event = async (name, data) => {
    if (name === 'done' || name === 'error') return original(name, data);
    await original(name, mutation === 'unknown-event' ? data : mutateJson(mutation, data));
    if (mutation === 'unknown-event') await original(UNKNOWN_EVENT.name, UNKNOWN_EVENT.data);
  };
}
