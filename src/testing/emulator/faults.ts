import { ApiError } from './errors';
import type { EmulatorFault, EmulatorOptions, FaultRequest } from './options';

// Injected network and server faults. A request picks one with the `x-emulator-fault` header (the SDK
// passes per-call `headers`), else the emulator's `fault` option decides; `none` turns it off. Every
// fault is deterministic: it depends only on the spec and the request, never on time or chance.
//
//   cut-after[:N]        stream: destroy the connection after N events (default 3), no `done`
//   truncate[:N]         stream: end the response cleanly after N events, no `done`
//   error-event[:N]      stream: after N events an `event: error` with an error body, then the end
//   malformed-json[:N]   JSON response: the body cut in half; stream: after N events one event whose
//                        data is cut in half, then the end
//   status:CODE          any route: that HTTP status with an OpenAI-style error body, nothing processed
//                        (429 also sends `retry-after: 0`)
//   reset-before-headers any route: the connection is destroyed before any response, nothing processed

export const FAULT_HEADER = 'x-emulator-fault';

export type Fault =
  | { kind: 'cut-after' | 'truncate' | 'error-event' | 'malformed-json'; events: number }
  | { kind: 'status'; status: number }
  | { kind: 'reset-before-headers' };

const DEFAULT_EVENTS = 3;
const STREAM_KINDS = ['cut-after', 'truncate', 'error-event', 'malformed-json'] as const;

/** Parses a fault spec; null for `none` / empty. Throws an Error saying what is wrong. */
export function parseFault(spec: string): Fault | null {
  const text = spec.trim();
  if (text === '' || text === 'none') return null;
  const [kind = '', arg, ...rest] = text.split(':');
  if (rest.length > 0) throw new Error(`Invalid fault '${spec}'.`);
  if (kind === 'reset-before-headers' && arg === undefined) return { kind };
  if (kind === 'status') {
    const status = Number(arg);
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new Error(`Invalid fault '${spec}': expected status:400…599.`);
    return { kind, status };
  }
  const streamKind = STREAM_KINDS.find((k) => k === kind);
  if (streamKind) {
    const events = arg === undefined ? DEFAULT_EVENTS : Number(arg);
    if (!Number.isInteger(events) || events < 0 || events > 100_000) throw new Error(`Invalid fault '${spec}': expected ${kind}:N, N ≥ 0.`);
    return { kind: streamKind, events };
  }
  throw new Error(
    `Unknown fault '${spec}'. Expected one of: cut-after:N, truncate:N, error-event:N, malformed-json[:N], status:CODE, reset-before-headers, none.`,
  );
}

/** The canonical spelling, as recorded in `emulator.requests[].fault`. */
export function faultLabel(fault: Fault): string {
  switch (fault.kind) {
    case 'status':
      return `status:${fault.status}`;
    case 'reset-before-headers':
      return fault.kind;
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
      return { error: new ApiError(401, 'Incorrect API key provided: sk-***. You can find your API key at https://platform.openai.com/account/api-keys.', 'invalid_request_error', null, 'invalid_api_key'), headers: {} };
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

export function isStreamFault(fault: Fault): fault is Extract<Fault, { events: number }> {
  return 'events' in fault;
}
