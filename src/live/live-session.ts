import { ROOT_CONTEXT, SpanKind, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { serverAttributes } from '../trace/call-attributes';
import { markApiError } from '../trace/errors';
import { placeOwnTrace, placeSpan } from '../trace/placement';
import type { TraceKey } from '../trace/trace-ids';
import type { ClientLike, ObservedCall } from '../calls/observed-call';
import type { StreamSink } from '../streams/stream-tap';
import { closedError, type BeginStream } from '../responses/response-socket';
import { nanosToUsd } from '../cost/money';
import { operationAttributes } from '../cost/metrics';
import type { Services } from '../services';
import { num, obj, str, type Obj } from '../util/json';
import { now } from '../util/clock';
import { BoundedMap } from '../util/bounded-map';
import type { SocketSessionStart } from '../realtime/realtime-sessions';
import { base64Bytes } from '../realtime/realtime-items';
import { readSession, sessionAttributes, type SessionConfig } from '../realtime/session-config';

/*
 * One Live API connection (`LiveWS`, openai >= 7.14, `/v1/live/sessions`) as a trace, as a Realtime
 * session is: the session span `live {model}` from the connection to its close, with the session's id,
 * model, voice and delegation settings, its transcripts (content rules), the audio time it was billed for
 * and why it closed. The Live model itself reports no tokens: it is billed by audio time (the last
 * cumulative `usage.seconds`: totals, never summed), priced per minute. Each task it delegates to a
 * Responses backend streams back as `response.event`s wrapping Responses streaming events: fed, one by
 * one, to the one Responses state machine (the sink an HTTP stream feeds), so each delegation is the
 * `chat {model}` span a Responses stream is, with its usage and token cost, a child of the session and
 * tagged with its delegation id.
 *
 * Memory: O(1) per open delegation (its call and sink), a bounded map of them per session; deltas are
 * counted, transcripts kept only while content capture is on and only up to its length cap.
 */

/** Open delegations a session keeps at once (the oldest ends `evicted` past it). */
const MAX_OPEN_DELEGATIONS = 32;
/** Terminal events of a nested Responses stream (an `error` event ends one too). */
const TERMINAL = new Set(['response.completed', 'response.failed', 'response.incomplete']);

interface Delegation {
  call: ObservedCall;
  sink: StreamSink;
}

/** What a Live session is told about its connection. */
export interface LiveSessionStart extends SocketSessionStart {
  client?: ClientLike;
  /** The socket's URL (`wss://…/v1/live/sessions`). */
  url?: string;
  startTime?: number;
  /** A sideband (`SidebandWS`): the session it attached to; a fork (`ForksWS`): the stored session it starts from. */
  of?: { type: LiveConnectionType; sessionId: string };
}

/** A connection to an existing session: a sideband joins it, a fork starts a new session from it (stored). */
export type LiveConnectionType = 'sideband' | 'fork';

/** Bounded text built from deltas: once at the cap, further deltas are only counted. */
class Transcript {
  text = '';
  deltas = 0;
  add(delta: unknown, max: number, keep: boolean): void {
    this.deltas++;
    if (keep && typeof delta === 'string' && this.text.length < max) this.text += delta.slice(0, max - this.text.length);
  }
}

export class LiveSession {
  readonly span: Span;
  readonly key: TraceKey;
  readonly connection: number = 1;
  private readonly config: SessionConfig = {};
  private readonly server: Attributes;
  private readonly client: ClientLike;
  private readonly delegations = new BoundedMap<string, Delegation>(MAX_OPEN_DELEGATIONS, (_id, d) => this.endDelegation(d, 'evicted', now()));
  /** The Responses backend's model (the delegation settings), the model of each delegated response's call. */
  private delegationModel?: string;
  private readonly input = new Transcript();
  private readonly output = new Transcript();
  private audioSeconds?: number;
  private outputAudioDeltas = 0;
  private outputAudioBytes = 0;
  private inputAudioChunks = 0;
  private inputAudioBytes = 0;
  private delegated = 0;
  private errors = 0;
  /** The delegated responses' token cost, summed (integer nano-dollars). */
  private responsesNanos = 0;
  private responsesPriced = true;
  private closeReason?: string;
  private ended = false;

  constructor(
    private readonly env: Services,
    private readonly begin: BeginStream,
    start: LiveSessionStart,
  ) {
    let client = start.client;
    try {
      if (!client && start.url) client = { baseURL: `https://${new URL(start.url).host}` };
    } catch {
      // no URL: no server from it
    }
    this.client = client ?? {};
    this.server = serverAttributes(this.client);
    // No openai.api.type: its registry enum has no Live member (the delegations' spans are `responses`).
    const attributes: Attributes = { ...this.server, [A.kind]: 'session', [A.subtype]: 'live' };
    if (start.of) {
      attributes['spanlens.live.connection.type'] = start.of.type;
      // A sideband's session is the one it attached to; a fork's is new (its id comes with session.started).
      attributes[start.of.type === 'sideband' ? A.liveSessionId : A.liveForkedFrom] = start.of.sessionId;
    }
    const options = { kind: SpanKind.CLIENT, startTime: start.startTime ?? now(), attributes };
    if (start.reconnects) {
      attributes['spanlens.live.connection'] = start.reconnects.connection;
      this.span = placeSpan(this.env, start.reconnects.key, start.ambient, 'live', options);
      this.key = start.reconnects.key;
      this.connection = start.reconnects.connection;
    } else {
      this.span = placeOwnTrace(this.env, start.ambient, 'live', options);
      const ctx = this.span.spanContext();
      this.key = { traceId: ctx.traceId, fallbackParentSpanId: ctx.spanId };
    }
  }

  /** Delegations whose stream has not ended (what the session holds of them). */
  get openDelegations(): number {
    return this.delegations.size;
  }

  /** A client event the SDK accepted for sending. */
  sent(event: Obj, at: number, _ambient: Context): void {
    if (this.ended) return;
    switch (event.type) {
      case 'session.start':
      case 'session.update':
        return this.configure(obj(event.session));
      case 'session.input_audio.append':
        this.inputAudioChunks++;
        this.inputAudioBytes += base64Bytes(event.audio);
        return;
      case 'session.close':
        this.span.addEvent('openai.live.session.close', {}, at);
        return;
      default:
        return;
    }
  }

  /** A server event as the SDK parsed it (before the app's listeners get it). */
  received(event: Obj, at: number): void {
    if (this.ended) return;
    switch (event.type) {
      case 'session.started':
      case 'session.updated':
        return this.configure(obj(event.session));
      case 'session.input_transcript.delta':
        return this.input.add(event.delta, this.env.content.maxLength, this.env.content.enabled);
      case 'session.output_transcript.delta':
        return this.output.add(event.delta, this.env.content.maxLength, this.env.content.enabled);
      case 'session.output_audio.delta':
        this.outputAudioDeltas++;
        this.outputAudioBytes += base64Bytes(event.delta);
        return;
      case 'session.delegation.created': {
        const d = obj(event.delegation);
        const id = str(d?.id);
        this.delegated++;
        this.span.addEvent('openai.live.delegation.created', { 'spanlens.live.delegation.id': id ?? '', 'spanlens.live.delegation.target': str(d?.target) ?? '' }, at);
        if (id && d?.target === 'responses') this.delegation(id, at);
        return;
      }
      case 'response.event':
        return this.responseEvent(event, at);
      case 'session.usage.updated':
        return this.usage(event);
      case 'session.closed':
        this.closeReason = str(event.reason) ?? this.closeReason;
        this.configure(obj(event.session));
        return this.usage(event);
      case 'error':
        return this.error(obj(event.error), at);
      default:
        return;
    }
  }

  /** The session's settings (what the app asked, then what the server resolved), on the session span. */
  private configure(session: Obj | undefined): void {
    if (!session) return;
    readSession(this.config, session);
    const attrs = sessionAttributes(this.config, (k, v) => this.env.content.capture(k, v), A.liveSessionId);
    const delegation = obj(session.delegation);
    if (delegation) {
      const type = str(delegation.type);
      const backend = type ? obj(delegation[type]) : undefined;
      this.delegationModel = str(backend?.model) ?? this.delegationModel;
      if (type) attrs['spanlens.live.delegation.type'] = type;
    } else if (session.delegation === null) attrs['spanlens.live.delegation.type'] = 'client';
    if (this.delegationModel) attrs['spanlens.live.delegation.model'] = this.delegationModel;
    this.span.setAttributes(attrs);
    if (this.config.model) this.span.updateName(`live ${this.config.model}`);
  }

  /** Cumulative audio time: the last figure is the session's (never summed). */
  private usage(event: Obj): void {
    const seconds = num(obj(event.usage)?.seconds);
    if (seconds !== undefined) this.audioSeconds = seconds;
    const ratio = num(obj(event.context_window)?.usage_ratio);
    if (ratio !== undefined) this.span.setAttribute('spanlens.live.context_window.usage_ratio', ratio);
  }

  /** A delegated response's stream opens: a streamed Responses create call, child of the session. */
  private delegation(id: string, at: number): Delegation | undefined {
    const open = this.delegations.peek(id);
    if (open) return open;
    const body: Obj = { stream: true };
    if (this.delegationModel) body.model = this.delegationModel;
    const call: ObservedCall = {
      client: this.client,
      ambient: trace.setSpan(ROOT_CONTEXT, this.span),
      startTime: at,
      endTime: at,
      bodyRead: false,
      stream: true,
      options: { method: 'post', path: '/responses', body, stream: true },
      // The Live session owns this response: it stays under the session whatever chain it names.
      agentManaged: true,
      attributes: id ? { 'spanlens.live.delegation.id': id } : undefined,
      runTotals: {
        add: (_usage, cost) => {
          if (cost) this.responsesNanos += cost.total;
          else this.responsesPriced = false;
        },
      },
    };
    const sink = this.begin(call);
    if (!sink) return undefined;
    const d = { call, sink };
    this.delegations.set(id, d);
    return d;
  }

  /** A nested Responses streaming event: to its delegation's stream (the one response state machine). */
  private responseEvent(event: Obj, at: number): void {
    const nested = obj(event.event);
    const type = str(nested?.type);
    if (!nested || !type) return;
    // Events the server could not correlate with a delegation come in order, one response after another:
    // one stream of their own (as a Responses socket's default lane).
    const id = str(event.delegation_id) ?? '';
    const d = this.delegations.peek(id) ?? this.delegation(id, at);
    if (!d) return;
    d.sink.item(type, nested, at);
    if (type !== 'error' && !TERMINAL.has(type)) return;
    this.delegations.delete(id);
    d.sink.end(type === 'error' ? 'error' : 'done', at);
  }

  /** An `error` event: the session's (the one error rule), also an event with the client event it names. */
  private error(error: Obj | undefined, at: number): void {
    this.errors++;
    const attrs: Attributes = { [A.errorType]: str(error?.code) ?? str(error?.type) ?? 'error' };
    const message = str(error?.message);
    if (message) attrs['exception.message'] = message;
    const clientEvent = str(error?.client_event_id);
    if (clientEvent) attrs['spanlens.live.client_event_id'] = clientEvent;
    this.span.addEvent('openai.live.error', attrs, at);
    markApiError(this.span, error, 'error', 'live error');
  }

  /** The connection closed (`byApp`: the app closed it). Open delegations end with it. */
  closed(code: number | undefined, byApp: boolean, at = now()): void {
    if (this.ended) return;
    if (code !== undefined) this.span.setAttribute('spanlens.live.close_code', code);
    // After `session.closed` the server's close is the session's normal end, not a failure.
    this.finish(byApp || this.closeReason !== undefined ? 'closed' : 'server_closed', at, code);
  }

  /** Ends the session unfinished: `shutdown`, `evicted`, `reconfigured`. */
  end(reason: string, at = now()): void {
    if (this.ended) return;
    this.finish(reason, at);
  }

  /** A delegation whose stream never ended: the app closed (aborted), the connection failed, or the session ended unfinished. */
  private endDelegation(d: Delegation, reason: string, at: number, code?: number): void {
    d.call.endTime ||= at;
    if (reason === 'server_closed') {
      const error = closedError(code);
      d.call.error ??= error;
      return d.sink.end('error', at, error);
    }
    d.sink.end(reason === 'shutdown' ? 'shutdown' : 'aborted', at);
  }

  private finish(reason: string, at: number, code?: number): void {
    this.ended = true;
    for (const [id, d] of [...this.delegations.entries()]) {
      this.delegations.delete(id);
      this.endDelegation(d, reason, at, code);
    }
    const span = this.span;
    if (reason !== 'closed') span.setAttribute('spanlens.live.end_reason', reason);
    if (this.closeReason) span.setAttribute('spanlens.live.close_reason', this.closeReason);
    if (this.delegated) span.setAttribute('spanlens.live.delegation.count', this.delegated);
    if (this.errors) span.setAttribute('spanlens.live.error.count', this.errors);
    if (this.inputAudioChunks) {
      span.setAttribute('spanlens.live.input_audio.append.count', this.inputAudioChunks);
      span.setAttribute('spanlens.live.input_audio.bytes', this.inputAudioBytes);
    }
    if (this.outputAudioDeltas) {
      span.setAttribute('spanlens.live.output_audio.delta.count', this.outputAudioDeltas);
      span.setAttribute('spanlens.live.output_audio.bytes', this.outputAudioBytes);
    }
    this.transcript('spanlens.live.input_transcript', this.input);
    this.transcript('spanlens.live.output_transcript', this.output);
    let total = this.responsesNanos;
    let priced = this.responsesPriced;
    if (this.audioSeconds !== undefined) {
      span.setAttribute('spanlens.usage.audio_seconds', this.audioSeconds);
      // The session's own cost: its audio time (the delegated responses carry their token costs).
      const cost = this.env.cost.ofAudioTime(this.config.model, this.audioSeconds);
      if (cost) {
        span.setAttributes({ [A.costUsd]: nanosToUsd(cost.total), [A.costSource]: cost.source, [A.costPricedAs]: cost.pricedAs });
        total += cost.total;
        this.recordCost(nanosToUsd(cost.total));
      } else priced = false;
    }
    if (priced) span.setAttribute('spanlens.session.cost.usd', nanosToUsd(total));
    span.end(at);
  }

  /**
   * The audio time's cost on the cost counter, so its sums match the spans' (the delegations record theirs
   * as Responses calls). Only the cost: a session is a conversation, not an operation, so no
   * operation.duration (its length is how long the user talked) and no tokens (the Live model reports none).
   */
  private recordCost(usd: number): void {
    const metrics = this.env.metrics();
    if (metrics) metrics.cost.add(usd, operationAttributes({ operation: 'chat', responseModel: this.config.model, client: this.client }));
  }

  private transcript(key: string, t: Transcript): void {
    if (!t.deltas) return;
    this.span.setAttribute(`${key}.delta.count`, t.deltas);
    const captured = t.text ? this.env.content.capture(key, t.text) : undefined;
    if (captured !== undefined) this.span.setAttribute(key, captured);
  }
}
