import { ROOT_CONTEXT, SpanKind, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { INTERNAL, serverAttributes } from '../trace/call-attributes';
import { markApiError, markThrown } from '../trace/errors';
import { placeOwnTrace, placeSpan } from '../trace/placement';
import type { TraceKey } from '../trace/trace-ids';
import type { ClientLike, ObservedCall } from '../calls/observed-call';
import type { StreamSink } from '../streams/stream-tap';
import { closedError, type BeginStream } from '../responses/response-socket';
import { nanosToUsd } from '../cost/money';
import { operationAttributes } from '../cost/metrics';
import type { Services } from '../services';
import { arr, num, obj, str, type Obj } from '../util/json';
import { now } from '../util/clock';
import { BoundedMap } from '../util/bounded-map';
import type { SocketSessionStart } from '../realtime/realtime-sessions';
import type { PendingToolCalls } from '../responses/tool-outputs';
import { endDecision, startDecisionSpan } from '../chat/decision-span';
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
 * tagged with its delegation id. The function calls such a response makes are the app's to run: from the
 * response's end to the app's `response.item.create` carrying the output, an `execute_tool {name}` span
 * (the one pending-tool-calls table the Realtime sessions use); the backend's follow-up is the next chat
 * span of the delegation. A Decisions evaluation (a `decisions` delegation, the app's `decision.create`, a
 * transcript trigger) is a model call: `chat {model}` (the one decision mapping, chat/decision-span.ts,
 * the same as `POST /decisions`) from what started it to its `decision.completed`. A `client` delegation is
 * the app's own work for the Live model: `execute_tool delegation` from its creation to the app's
 * `session.commentary.append` naming it (the result the model speaks); silent context the app appends for
 * it (`session.thinking.append` / `session.instructions.append`) is an event on it.
 *
 * Memory: O(1) per open delegation (its call and sink, or its span), bounded maps of them per session;
 * trigger sources a bounded map of arrival times; deltas are counted, transcripts kept only while content
 * capture is on and only up to its length cap. Function calls wait in the one bounded tool table.
 */

/** Open delegations a session keeps at once (the oldest ends `evicted` past it). */
const MAX_OPEN_DELEGATIONS = 32;
/** Transcript deltas remembered as a trigger's possible source (their arrival times). */
const MAX_TRIGGER_SOURCES = 64;
/** Terminal events of a nested Responses stream (an `error` event ends one too). */
const TERMINAL = new Set(['response.completed', 'response.failed', 'response.incomplete']);

interface Delegation {
  call: ObservedCall;
  sink: StreamSink;
}

/** Work the session waits on that is no Responses stream: the app's (a client delegation), or a decision. */
interface OpenWork {
  kind: 'client' | 'decision';
  span: Span;
  startTime: number;
  requestModel?: string;
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
  /** Client delegations (`d:{id}`), Decisions delegations (`d:{id}`) and the app's `decision.create`s (`c:{event_id}`), open. */
  private readonly work = new BoundedMap<string, OpenWork>(MAX_OPEN_DELEGATIONS, (_key, w) => this.endWork(w, 'evicted', now()));
  /** Transcript deltas of an event type a trigger watches: when each arrived (a trigger's decision starts there). */
  private readonly triggerSources = new BoundedMap<string, number>(MAX_TRIGGER_SOURCES);
  private triggerTypes = new Set<string>();
  /** The span tool and decision spans go under. */
  private readonly parent: Context;
  /** The delegation settings: who the Live model delegates to, and that backend's model (a delegated response's or a decision's). */
  private delegationType?: string;
  private delegationModel?: string;
  private clientEvents = 0;
  private decisions = 0;
  private readonly input = new Transcript();
  private readonly output = new Transcript();
  private audioSeconds?: number;
  private outputAudioDeltas = 0;
  private outputAudioBytes = 0;
  private inputAudioChunks = 0;
  private inputAudioBytes = 0;
  private delegated = 0;
  private errors = 0;
  /** The delegated responses' and the decisions' token cost, summed (integer nano-dollars). */
  private delegatedNanos = 0;
  private delegatedPriced = true;
  private closeReason?: string;
  private ended = false;

  constructor(
    private readonly env: Services,
    private readonly begin: BeginStream,
    private readonly tools: PendingToolCalls,
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
    this.parent = trace.setSpan(ROOT_CONTEXT, this.span);
  }

  /** Delegations whose stream has not ended (what the session holds of them). */
  get openDelegations(): number {
    return this.delegations.size;
  }

  /** A client event the SDK accepted for sending. */
  sent(event: Obj, at: number, ambient: Context): void {
    if (this.ended) return;
    switch (event.type) {
      case 'response.item.create': {
        // A function tool's result for a delegated response: the app's tool work ends here.
        const item = obj(event.item);
        if (item?.type === 'function_call_output' || item?.type === 'custom_tool_call_output') this.tools.output(item, at, ambient);
        return;
      }
      case 'decision.create': {
        const id = str(event.event_id) ?? `#${++this.clientEvents}`;
        const model = this.delegationType === 'decisions' ? this.delegationModel : undefined;
        const span = startDecisionSpan(this.env, this.parent, model, at, { ...this.server, 'spanlens.live.client_event_id': id });
        this.work.set(`c:${id}`, { kind: 'decision', span, startTime: at, requestModel: model });
        return;
      }
      case 'session.commentary.append':
        return this.clientReply(str(event.delegation_id), event.content, at);
      case 'session.thinking.append':
      case 'session.instructions.append': {
        // Silent context for an open client delegation (progress, not its result): an event on its span.
        const w = this.openClient(str(event.delegation_id));
        if (w) w.span.addEvent('openai.live.delegation.context', { 'spanlens.live.delegation.context.type': event.type === 'session.thinking.append' ? 'thinking' : 'instructions' }, at);
        return;
      }
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
        this.triggerSource(event, at);
        return this.input.add(event.delta, this.env.content.maxLength, this.env.content.enabled);
      case 'session.output_transcript.delta':
        this.triggerSource(event, at);
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
        if (!id) return;
        if (d?.target === 'responses') this.delegation(id, at);
        else if (d?.target === 'client') this.clientDelegation(id, at);
        else if (d?.target === 'decisions') {
          const span = startDecisionSpan(this.env, this.parent, this.delegationModel, at, { ...this.server, 'spanlens.live.delegation.id': id });
          this.work.set(`d:${id}`, { kind: 'decision', span, startTime: at, requestModel: this.delegationModel });
        }
        return;
      }
      case 'decision.event':
        return this.decision(event, at);
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
      if (type && type !== this.delegationType) this.delegationModel = undefined;
      this.delegationType = type ?? this.delegationType;
      this.delegationModel = str(backend?.model) ?? this.delegationModel;
      if (type) attrs['spanlens.live.delegation.type'] = type;
    } else if (session.delegation === null) {
      this.delegationType = 'client';
      this.delegationModel = undefined;
      attrs['spanlens.live.delegation.type'] = 'client';
    }
    // Triggers: omitted keeps them, a list replaces them (an empty one turns them off).
    if (Array.isArray(session.triggers)) {
      this.triggerTypes = new Set(arr(session.triggers).flatMap((t) => str(obj(t)?.event_type) ?? []));
      attrs['spanlens.live.trigger.count'] = session.triggers.length;
    }
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
      // The Live session owns this response: it stays under the session whatever chain it names, and its
      // function calls wait for the outputs the app sends over this socket.
      agentManaged: true,
      toolCalls: (item, completedAt, base) => this.tools.add(item, undefined, completedAt, base, this.parent),
      attributes: id ? { 'spanlens.live.delegation.id': id } : undefined,
      runTotals: {
        add: (_usage, cost) => this.addCost(cost, true),
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

  /** A delegated response's or a decision's token cost, into the session's total (`billed`: it had usage). */
  private addCost(cost: { total: number } | undefined, billed: boolean): void {
    if (cost) this.delegatedNanos += cost.total;
    else if (billed) this.delegatedPriced = false;
  }

  /** A transcript delta a trigger may fire on: when it arrived, by its event id. */
  private triggerSource(event: Obj, at: number): void {
    const id = str(event.event_id);
    if (id && this.triggerTypes.has(String(event.type))) this.triggerSources.set(id, at);
  }

  /**
   * A `decision.event`: the decision it completes. A delegation's by its id; a trigger's has no span yet
   * (its span starts at the transcript delta that fired it, or now); anything else answers the app's
   * oldest open `decision.create` (the event names no client event), else it is one nothing announced.
   */
  private decision(event: Obj, at: number): void {
    const inner = obj(event.event);
    if (inner?.type !== 'decision.completed') return;
    const decision = obj(inner.decision);
    const delegation = str(event.delegation_id);
    const trigger = str(event.trigger_id);
    let key: string | undefined;
    if (delegation) key = `d:${delegation}`;
    else if (!trigger) {
      const named = str(event.client_event_id) ?? str(event.source_event_id);
      key = named && this.work.peek(`c:${named}`) ? `c:${named}` : [...this.work.entries()].find(([k]) => k.startsWith('c:'))?.[0];
    }
    let w = key ? this.work.peek(key) : undefined;
    if (w?.kind !== 'decision') w = undefined;
    if (w) this.work.delete(key!);
    else {
      const source = str(event.source_event_id);
      const start = (source && this.triggerSources.peek(source)) || at;
      if (source) this.triggerSources.delete(source);
      const attrs: Attributes = { ...this.server };
      if (delegation) attrs['spanlens.live.delegation.id'] = delegation;
      if (trigger) attrs['spanlens.live.trigger_id'] = trigger;
      const sourceType = str(event.source_event_type);
      if (sourceType) attrs['spanlens.live.trigger.event_type'] = sourceType;
      const model = this.delegationType === 'decisions' ? this.delegationModel : undefined;
      w = { kind: 'decision', span: startDecisionSpan(this.env, this.parent, model, start, attrs, model ?? str(decision?.model)), startTime: start, requestModel: model };
    }
    this.decisions++;
    const cost = endDecision(this.env, w.span, decision, { requestModel: w.requestModel, client: this.client, startTime: w.startTime, endTime: Math.max(at, w.startTime) });
    this.addCost(cost, decision?.usage !== undefined);
  }

  /** A client delegation: the app's own work for the Live model, until it answers. */
  private clientDelegation(id: string, at: number): void {
    const attributes: Attributes = {
      ...this.server,
      [A.kind]: 'tool',
      [A.subtype]: 'live_delegation',
      [A.operation]: 'execute_tool',
      [A.toolName]: 'delegation',
      [A.toolType]: 'function',
      [A.toolCallId]: id,
      'spanlens.live.delegation.id': id,
    };
    const span = this.env.tracer().startSpan('execute_tool delegation', { kind: INTERNAL, startTime: at, attributes }, this.parent);
    this.work.set(`d:${id}`, { kind: 'client', span, startTime: at });
  }

  private openClient(id: string | undefined): OpenWork | undefined {
    const w = id === undefined ? undefined : this.work.peek(`d:${id}`);
    return w?.kind === 'client' ? w : undefined;
  }

  /** The app's result for a client delegation (what the Live model speaks): its span ends. */
  private clientReply(id: string | undefined, content: unknown, at: number): void {
    const w = this.openClient(id);
    if (!w) return;
    this.work.delete(`d:${id!}`);
    const result = this.env.content.capture(A.toolResult, content);
    if (result !== undefined) w.span.setAttribute(A.toolResult, result);
    w.span.end(Math.max(at, w.startTime));
  }

  /** Work never answered ends with the session: why, and (the connection failed) the one error rule. */
  private endWork(w: OpenWork, reason: string, at: number, code?: number): void {
    w.span.setAttribute('spanlens.live.delegation.end_reason', reason === 'closed' ? 'session_closed' : reason);
    const error = reason === 'server_closed' ? closedError(code) : undefined;
    if (w.kind === 'decision') {
      endDecision(this.env, w.span, undefined, { requestModel: w.requestModel, client: this.client, startTime: w.startTime, endTime: Math.max(at, w.startTime), error });
      return;
    }
    if (error) markThrown(w.span, error);
    w.span.end(Math.max(at, w.startTime));
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
    for (const [key, w] of [...this.work.entries()]) {
      this.work.delete(key);
      this.endWork(w, reason, at, code);
    }
    const span = this.span;
    if (reason !== 'closed') span.setAttribute('spanlens.live.end_reason', reason);
    if (this.closeReason) span.setAttribute('spanlens.live.close_reason', this.closeReason);
    if (this.delegated) span.setAttribute('spanlens.live.delegation.count', this.delegated);
    if (this.decisions) span.setAttribute('spanlens.live.decision.count', this.decisions);
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
    let total = this.delegatedNanos;
    let priced = this.delegatedPriced;
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
