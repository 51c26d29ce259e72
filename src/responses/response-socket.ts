import { obj, str, type Obj } from '../util/json';
import { now } from '../util/clock';
import type { ObservedCall } from '../calls/observed-call';
import type { StreamOutcome, StreamSink } from '../streams/stream-tap';

/*
 * Responses over WebSocket, as one socket carries them: each `response.create` the app sends is one
 * streamed create call, and the events that answer it go to that call's stream sink (the same sink an
 * HTTP stream feeds, so the same response state machine and the same span). The server answers the
 * creates of one lane (`stream_id`; none is the default lane) one after another, in the order sent, every
 * event of a lane carrying its `stream_id`: so a lane's events belong to its oldest unanswered create, and
 * a terminal `response.*` event or an `error` event ends it. What is kept: per lane, the creates not yet
 * answered (a few, bounded) and nothing of the events (deltas are counted by the tracker, not stored).
 */

/** A server event's type where the API writes it, first in the frame; other frames are parsed to find it. */
const TYPE = /^\{\s*"type"\s*:\s*"([^"\\]+)"/;

function parse(text: string): Obj | undefined {
  try {
    return obj(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** Terminal events of a response (an `error` event ends one too). */
const TERMINAL = new Set(['response.completed', 'response.failed', 'response.incomplete']);
/** Creates sent and not yet answered, per lane, beyond which more are not traced (an app that only sends). */
const MAX_WAITING = 256;

/** Starts a create call's stream (the dispatcher's stream sink, opened for shutdown); undefined: untraced. */
export type BeginStream = (call: ObservedCall) => StreamSink | undefined;

interface Pending {
  call: ObservedCall;
  sink: StreamSink;
  /** An event other than `error` answered it (a response exists). */
  answered: boolean;
}

/** The error a create answered by an `error` event failed with: the API's error object, as the error rule reads it. */
function eventError(event: Obj): unknown {
  const error = obj(event.error) ?? event;
  return { code: str(error.code) ?? str(error.type), message: str(error.message) ?? 'error event', status: event.status };
}

/** The error a connection that went away mid-response failed with (the one error rule's `error.type`: its code). */
export function closedError(code: unknown): Error {
  return Object.assign(new Error(`the WebSocket closed${code === undefined ? '' : ` (code ${String(code)})`} before the response ended`), { code: 'websocket_closed' });
}

export class ResponseSocket {
  private readonly lanes = new Map<string, Pending[]>();

  constructor(
    private readonly call: (body: Obj) => ObservedCall,
    private readonly begin: BeginStream,
  ) {}

  /** Creates sent and not yet answered to their end (what this socket holds: nothing of answered ones). */
  get waiting(): number {
    let n = 0;
    for (const w of this.lanes.values()) n += w.length;
    return n;
  }

  /** The app sent `event` on the socket. */
  sent(event: unknown): void {
    const e = obj(event);
    if (e?.type !== 'response.create') return;
    const lane = str(e.stream_id) ?? '';
    const waiting = this.lanes.get(lane) ?? [];
    if (waiting.length >= MAX_WAITING) return;
    const { type: _type, stream_id: _lane, ...body } = e;
    // Over a socket every response streams: the call is a streamed create, as the HTTP one with `stream: true`.
    const call = this.call({ ...body, stream: true });
    const sink = this.begin(call);
    if (!sink) return;
    waiting.push({ call, sink, answered: false });
    this.lanes.set(lane, waiting);
  }

  /** The app received `event` (a parsed server event, the SDK's own object) on the socket. */
  received(event: Obj): void {
    const type = str(event.type);
    if (type)
      this.answer(
        type,
        str(event.stream_id) ?? '',
        (sink, at) => sink.item(type, event, at),
        () => event,
      );
  }

  /**
   * The app received a text frame it parses itself (the Agents SDK's socket): handed on unparsed, as an
   * HTTP stream's raw body is (deltas are only counted); only the event's type is read here. Such a socket
   * sends no `stream_id`, so its frames are the default lane's.
   */
  receivedText(text: string): void {
    const type = TYPE.exec(text)?.[1] ?? str(parse(text)?.type);
    if (type)
      this.answer(
        type,
        '',
        (sink, at) => sink.event({ event: type, data: text }, at),
        () => parse(text),
      );
  }

  /** An event of `lane` answers its oldest waiting create; a terminal or `error` event ends it. */
  private answer(type: string, lane: string, feed: (sink: StreamSink, at: number) => void, event: () => Obj | undefined): void {
    const waiting = this.lanes.get(lane);
    const current = waiting?.[0];
    if (!current) return;
    const at = now();
    feed(current.sink, at);
    if (type !== 'error') current.answered = true;
    if (type !== 'error' && !TERMINAL.has(type)) return;
    waiting.shift();
    if (!waiting.length) this.lanes.delete(lane);
    const data = type === 'error' && !current.answered ? event() : undefined;
    if (data) {
      // Before any response the create itself failed (an HTTP create would have had an error status).
      current.call.error = eventError(data);
      if (typeof data.status === 'number') current.call.status = data.status;
      current.call.endTime = at;
    }
    current.sink.end(type === 'error' ? 'error' : 'done', at);
  }

  /**
   * The connection the creates went out on is gone (closed, or replaced by a reconnect): nothing more
   * answers them. `aborted` when the app closed it, else failed with `error`.
   */
  ended(outcome: Extract<StreamOutcome, 'aborted' | 'error'>, error: unknown): void {
    const at = now();
    for (const waiting of this.lanes.values()) {
      for (const { call, sink } of waiting) {
        if (outcome === 'error') call.error ??= error;
        call.endTime ||= at;
        sink.end(outcome, at, outcome === 'error' ? error : undefined);
      }
    }
    this.lanes.clear();
  }
}
