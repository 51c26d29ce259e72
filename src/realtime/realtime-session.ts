import { ROOT_CONTEXT, SpanKind, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { serverAttributes } from '../trace/call-attributes';
import { markApiError, markError, markThrown, apiErrorType } from '../trace/errors';
import { placeOwnTrace, placeSpan } from '../trace/placement';
import type { TraceKey } from '../trace/trace-ids';
import { itemPart, emitItemSpans, type ItemRecord } from '../responses/output-item-spans';
import { RESPONSE_STATUSES } from '../responses/response-statuses';
import type { PendingToolCalls } from '../responses/tool-outputs';
import { closedError } from '../responses/response-socket';
import { costAttributes } from '../cost/cost-model';
import type { CostNanos } from '../cost/pricing';
import { modalityAttributes, usageAttributes, readUsage } from '../cost/usage';
import { nanosToUsd } from '../cost/money';
import { chunkTimer, recordOperation, usageMeasure, type ChunkTimer } from '../cost/metrics';
import type { Services } from '../services';
import { arr, num, obj, str, type Obj } from '../util/json';
import { toolResponsePart, type GenAIMessage } from '../trace/genai-messages';
import { now } from '../util/clock';
import { BoundedMap } from '../util/bounded-map';
import type { HistoryMessage } from '../turns/conversation-store';
import { setTurnAttributes } from '../turns/turn-accounting';
import { base64Bytes, bytesPerSecond, itemForSpans, itemText } from './realtime-items';
import { readSession, sessionAttributes, type SessionConfig } from './session-config';

/*
 * One Realtime connection as a trace: the session span `realtime {model}` from the connection to its
 * close, each model response a `chat {model}` child from the `response.create` the app sent (or, for a
 * response the server's turn detection started, the end of the user's speech) to `response.done`, its
 * output items children of it (the one item mapping), the app's tool work an `execute_tool {name}` span
 * from the response's end to the `function_call_output` it sends, and each input audio transcription a
 * `transcription {model}` span. A socket opened by call id (a sideband control connection to a SIP / WebRTC
 * call) is the same session, named once it names its model; one opened with `intent=transcription` is a
 * transcription session (`realtime transcription`: transcription spans, no responses). Fed event by event, synchronously, from where the SDK sends and emits
 * them (hook/realtime-socket.ts); nothing here throws into the caller (the hook guards it) or waits.
 *
 * Memory: O(1) per open response (counters, times, the ids of its items), a few bounded maps per
 * session. Deltas are counted, never stored: a response's text and transcripts come from its
 * `response.done` items, audio only as byte counts and durations.
 */

/** Event names of the beta protocol (openai 4–6 `beta/realtime`) and of the GA one, as one. */
const TEXT_DELTAS = new Set(['response.output_text.delta', 'response.text.delta']);
const AUDIO_DELTAS = new Set(['response.output_audio.delta', 'response.audio.delta']);
const TRANSCRIPT_DELTAS = new Set(['response.output_audio_transcript.delta', 'response.audio_transcript.delta']);
const ARGUMENT_DELTAS = new Set(['response.function_call_arguments.delta', 'response.mcp_call_arguments.delta']);

/** Bounds on what one session remembers (each a small map; a well-behaved session uses a handful). */
const MAX_OPEN_RESPONSES = 32;
const MAX_PENDING_CREATES = 32;
const MAX_ITEMS_PER_RESPONSE = 64;
const MAX_PENDING_TRANSCRIPTIONS = 64;
const MAX_PENDING_INPUT = 16;

/** A response.create the app sent that the server has not answered yet. */
interface PendingCreate {
  at: number;
  eventId?: string;
  response?: Obj;
  ambient: Context;
}

interface OpenResponse {
  span: Span;
  id: string;
  start: number;
  firstChunk?: number;
  firstText?: number;
  firstAudio?: number;
  textDeltas: number;
  audioDeltas: number;
  audioBytes: number;
  argumentDeltas: number;
  /** Client-clock times of its items, by item id (added → done). */
  items: BoundedMap<string, { start: number; end?: number; deltas: number }>;
  cancelRequested: boolean;
  chunks?: ChunkTimer;
  /** The context it started in (a voice agent's span, told when the response ends). */
  parent: Context;
}

/**
 * The agent layer of a session whose app is a voice agent (`@openai/agents-realtime`, agents/voice-agents.ts):
 * its responses start under the current agent's span, its tool work is that layer's (`execute_tool` from
 * the SDK's tool events: the session makes none of its own), and it ends with the session.
 */
export interface SessionOwner {
  /** The context a response's span starts in (the current agent's span), for a response that began at `start`. */
  responseParent(start: number): Context;
  /** A response started in `parent` ended at `at` (an agent handed off ends once its responses have). */
  responseEnded(parent: Context, at: number): void;
  /** The session ends (`closed`, `server_closed`, `shutdown`, …) at `at`: end what is open, before the session span. */
  ended(reason: string, at: number): void;
}

/** What the session is told about its connection. */
export interface SessionStart {
  /** The SDK client the socket was opened with (server attributes), if any. */
  client?: object;
  /** The socket's URL (`wss://…/v1/realtime?model=…`). */
  url?: string;
  ambient: Context;
  startTime?: number;
  /** The trace of the session this connection reconnects (the SDK's automatic recovery), with its count. */
  reconnects?: { key: TraceKey; connection: number };
  /** A voice agent session's agent layer. */
  owner?: SessionOwner;
}

export class RealtimeSession {
  readonly span: Span;
  /** The session's trace, for the connections that reconnect it. */
  readonly key: TraceKey;
  /** Which connection of the session this is (1: the first). */
  readonly connection: number = 1;
  private readonly config: SessionConfig = {};
  private readonly server: Attributes;
  private readonly requestModel?: string;
  /** The session's span name as set last (renamed once the session says which model it runs). */
  private name: string;
  private readonly metricsClient: object;
  private readonly creates: PendingCreate[] = [];
  private readonly open = new BoundedMap<string, OpenResponse>(MAX_OPEN_RESPONSES, (_id, r) => this.endResponse(r, now(), 'evicted'));
  /** Input audio items waiting for their transcription: when their audio was committed. */
  private readonly transcriptions = new BoundedMap<string, number>(MAX_PENDING_TRANSCRIPTIONS);
  /** What the app added to the conversation since the last response began (content capture only; capped). */
  private pendingInput: GenAIMessage[] = [];
  /** User messages added since the last response ended: what the next one answers (as a thread's runs). */
  private pendingUser: HistoryMessage[] = [];
  /** User messages added over the session: its cost per user message. */
  userMessageCount = 0;
  /** When the user's last turn ended (server VAD): a VAD response's start. */
  private speechStopped?: number;
  private conversationId?: string;
  private responses = 0;
  private costNanos = 0;
  private priced = true;
  private inputTokens = 0;
  private outputTokens = 0;
  private inputAudioBytes = 0;
  private inputAudioChunks = 0;
  private errors = 0;
  /** Responses the user spoke over (cancelled by turn detection) and the app's cuts of played audio. */
  private interruptions = 0;
  private truncations = 0;
  private ended = false;
  private readonly owner?: SessionOwner;

  constructor(
    private readonly env: Services,
    private readonly tools: PendingToolCalls,
    start: SessionStart,
  ) {
    let model: string | undefined;
    let callId: string | undefined;
    // The server: the client's base URL, else the socket's URL (what metrics and spans name as server.*).
    let client = start.client;
    try {
      const url = start.url ? new URL(start.url) : undefined;
      // The URL names one of: the model, the call a sideband socket controls, or the transcription intent.
      model = url?.searchParams.get('model') ?? undefined;
      callId = url?.searchParams.get('call_id') ?? undefined;
      if (url?.searchParams.get('intent') === 'transcription') this.config.type = 'transcription';
      if (url && !client) client = { baseURL: `https://${url.host}` };
    } catch {
      // no URL: no model or server from it
    }
    this.metricsClient = client ?? {};
    const server = serverAttributes(this.metricsClient);
    this.server = { ...server };
    this.requestModel = model;
    this.owner = start.owner;
    const attributes: Attributes = { ...server, [A.kind]: 'session', [A.subtype]: 'realtime' };
    if (model) attributes[A.requestModel] = model;
    if (callId) attributes['spanlens.realtime.call_id'] = callId;
    if (this.config.type) attributes['spanlens.realtime.session_type'] = this.config.type;
    const name = (this.name = this.spanName());
    const options = { kind: SpanKind.CLIENT, startTime: start.startTime ?? now(), attributes };
    if (start.reconnects) {
      // A reconnected session: one more root span in its first connection's trace (as a response chain's turns).
      attributes['spanlens.realtime.connection'] = start.reconnects.connection;
      this.span = placeSpan(this.env, start.reconnects.key, start.ambient, name, options);
      this.key = start.reconnects.key;
      this.connection = start.reconnects.connection;
    } else {
      this.span = placeOwnTrace(this.env, start.ambient, name, options);
      const ctx = this.span.spanContext();
      this.key = { traceId: ctx.traceId, fallbackParentSpanId: ctx.spanId };
    }
  }

  get isEnded(): boolean {
    return this.ended;
  }

  private get model(): string | undefined {
    return this.requestModel ?? this.config.model;
  }

  /** A client event the SDK accepted for sending, at `at`, sent from `ambient`. */
  sent(event: Obj, at: number, ambient: Context): void {
    if (this.ended) return;
    switch (event.type) {
      case 'session.update':
      case 'transcription_session.update':
        return this.readSession(event);
      case 'response.create': {
        if (this.creates.length >= MAX_PENDING_CREATES) this.creates.shift();
        this.creates.push({ at, eventId: str(event.event_id), response: obj(event.response), ambient });
        return;
      }
      case 'response.cancel': {
        const id = str(event.response_id);
        for (const r of this.openResponses()) {
          if (id && r.id !== id) continue;
          r.cancelRequested = true;
          r.span.addEvent('openai.realtime.response.cancel', {}, at);
        }
        return;
      }
      case 'conversation.item.truncate': {
        // The app cut an answer's audio where its playback stopped (the user interrupted it): what the
        // user heard, as a session event (the response has usually ended by then).
        this.truncations++;
        const attrs: Attributes = {};
        const itemId = str(event.item_id);
        const endMs = num(event.audio_end_ms);
        if (itemId) attrs[A.itemId] = itemId;
        if (endMs !== undefined) attrs['spanlens.realtime.audio_end_ms'] = endMs;
        this.span.addEvent('openai.realtime.item.truncate', attrs, at);
        return;
      }
      case 'input_audio_buffer.append':
        this.inputAudioChunks++;
        this.inputAudioBytes += base64Bytes(event.audio);
        return;
      case 'conversation.item.create': {
        const item = obj(event.item);
        if (item?.type === 'function_call_output') this.tools.output(item, at, ambient);
        if (item) this.addInput(item);
        return;
      }
      default:
        return;
    }
  }

  /** An item the app added, as the next response's input message (typed text, a transcript, a tool's output). */
  private addInput(item: Obj): void {
    if (!this.env.content.enabled) return;
    const cap = (t: string): string => this.env.content.cap(t);
    let message: GenAIMessage | undefined;
    if (item.type === 'message') {
      const text = itemText(item);
      if (text !== undefined) message = { role: str(item.role) ?? 'user', parts: [{ type: 'text', content: cap(text) }] };
    } else if (item.type === 'function_call_output') {
      message = { role: 'tool', parts: [toolResponsePart(str(item.call_id) ?? '', cap(str(item.output) ?? ''))] };
    }
    if (!message) return;
    if (this.pendingInput.length >= MAX_PENDING_INPUT) this.pendingInput.shift();
    this.pendingInput.push(message);
  }

  /** A server event as the SDK parsed it, at `at` (before the app's listeners get it). */
  received(event: Obj, at: number): void {
    if (this.ended) return;
    const type = str(event.type) ?? '';
    if (TEXT_DELTAS.has(type)) return this.delta(event, at, 'text');
    if (AUDIO_DELTAS.has(type)) return this.delta(event, at, 'audio');
    if (TRANSCRIPT_DELTAS.has(type)) return this.delta(event, at, 'transcript');
    if (ARGUMENT_DELTAS.has(type)) return this.delta(event, at, 'arguments');
    switch (type) {
      case 'session.created':
      case 'session.updated':
      case 'transcription_session.updated':
        return this.readSession(event);
      case 'conversation.created':
        this.conversationId = str(obj(event.conversation)?.id) ?? this.conversationId;
        if (this.conversationId) this.span.setAttribute(A.conversationId, this.conversationId);
        return;
      case 'input_audio_buffer.speech_stopped':
        this.speechStopped = at;
        return;
      case 'input_audio_buffer.committed': {
        const itemId = str(event.item_id);
        if (itemId && this.config.transcriptionModel) this.transcriptions.set(itemId, at);
        this.speechStopped ??= at;
        return;
      }
      case 'conversation.item.added': // GA
      case 'conversation.item.created': // beta
        return this.itemAdded(obj(event.item), at);
      case 'response.created':
        return this.responseCreated(obj(event.response), at);
      case 'response.output_item.added':
      case 'response.output_item.done': {
        const r = this.responseOf(event);
        const id = str(obj(event.item)?.id);
        if (!r || !id) return;
        const times = r.items.peek(id);
        if (type === 'response.output_item.added') r.items.set(id, { start: at, deltas: 0 });
        else if (times) times.end = at;
        else r.items.set(id, { start: at, end: at, deltas: 0 });
        return;
      }
      case 'response.done':
        return this.responseDone(obj(event.response), at);
      case 'conversation.item.input_audio_transcription.completed':
      case 'conversation.item.input_audio_transcription.failed':
        return this.transcribed(event, at, type.endsWith('.failed'));
      case 'error':
        return this.error(obj(event.error), at);
      default:
        return;
    }
  }

  /** A copy: callers delete from the map while they go. */
  private openResponses(): OpenResponse[] {
    return [...this.open.values()];
  }

  private responseOf(event: Obj): OpenResponse | undefined {
    const id = str(event.response_id);
    return id ? this.open.peek(id) : undefined;
  }

  private delta(event: Obj, at: number, kind: 'text' | 'audio' | 'transcript' | 'arguments'): void {
    const r = this.responseOf(event);
    if (!r) return;
    if (r.firstChunk === undefined) {
      r.firstChunk = at;
      r.span.setAttribute(A.timeToFirstChunk, Math.max(0, at - r.start) / 1000);
    }
    r.chunks?.chunk(at);
    if (kind === 'audio') {
      r.audioDeltas++;
      r.audioBytes += base64Bytes(event.delta);
      r.firstAudio ??= at;
    } else if (kind === 'arguments') {
      r.argumentDeltas++;
    } else {
      r.textDeltas++;
      r.firstText ??= at;
    }
    const itemId = str(event.item_id);
    const times = itemId ? r.items.peek(itemId) : undefined;
    if (times) times.deltas++;
  }

  private responseCreated(response: Obj | undefined, at: number): void {
    const id = str(response?.id);
    if (!id || this.open.has(id)) return;
    // The app's oldest unanswered response.create is this one; without one, turn detection started it.
    const create = this.creates.shift();
    const start = create?.at ?? Math.min(this.speechStopped ?? at, at);
    this.speechStopped = undefined;
    const model = this.model;
    const attributes: Attributes = {
      ...this.server,
      [A.operation]: 'chat',
      [A.kind]: 'llm',
      [A.subtype]: 'realtime',
      [A.requestStream]: true,
      [A.responseId]: id,
      'spanlens.realtime.response.trigger': create ? 'response.create' : 'turn_detection',
    };
    if (model) attributes[A.requestModel] = model;
    const conversation = str(response?.conversation_id) ?? (create && str(create.response?.conversation) === 'none' ? undefined : this.conversationId);
    if (conversation) attributes[A.conversationId] = conversation;
    const maxTokens = num(create?.response?.max_output_tokens);
    if (maxTokens !== undefined) attributes[A.maxTokens] = maxTokens;
    const instructions = str(create?.response?.instructions);
    if (instructions !== undefined) {
      const captured = this.env.content.capture(A.systemInstructions, [{ type: 'text', content: instructions }]);
      if (captured !== undefined) attributes[A.systemInstructions] = captured;
    }
    if (this.pendingInput.length) {
      const captured = this.env.content.capture(A.inputMessages, this.pendingInput);
      if (captured !== undefined) attributes[A.inputMessages] = captured;
      this.pendingInput = [];
    }
    const parent = this.responseParent(start);
    const span = this.env.tracer().startSpan(model ? `chat ${model}` : 'chat', { kind: SpanKind.CLIENT, startTime: start, attributes }, parent);
    const r: OpenResponse = {
      parent,
      span,
      id,
      start,
      textDeltas: 0,
      audioDeltas: 0,
      audioBytes: 0,
      argumentDeltas: 0,
      items: new BoundedMap(MAX_ITEMS_PER_RESPONSE),
      cancelRequested: false,
      chunks: chunkTimer(this.env.metrics(), { operation: 'chat', requestModel: model, client: this.metricsClient }, start),
    };
    this.open.set(id, r);
  }

  private responseDone(response: Obj | undefined, at: number): void {
    const id = str(response?.id);
    const r = id ? this.open.peek(id) : undefined;
    if (!r || !response) return;
    this.open.delete(r.id);
    const status = str(response.status) ?? 'completed';
    const details = obj(response.status_details);
    const output = arr(response.output)
      .map(obj)
      .filter((i): i is Obj => i !== undefined);
    const span = r.span;
    span.setAttribute(A.responseStatus, status);
    const reason = str(details?.reason);
    if (reason) span.setAttribute('spanlens.realtime.response.status_reason', reason);
    if (reason === 'turn_detected') this.interruptions++;
    const calls = output.filter((i) => i.type === 'function_call');
    const finish = status === 'completed' && calls.length ? 'tool_calls' : status === 'incomplete' && reason === 'content_filter' ? 'content_filter' : RESPONSE_STATUSES.finishReason(status);
    span.setAttribute(A.finishReasons, [finish]);
    this.outputAttributes(r, response, output, finish);
    const usage = response.usage;
    span.setAttributes(usageAttributes(usage));
    const u = readUsage(usage);
    span.setAttributes(modalityAttributes(u));
    const model = this.model;
    const cost = this.env.cost.of(model, usage);
    this.responses++;
    this.inputTokens += u.input ?? 0;
    this.outputTokens += u.output ?? 0;
    if (cost) this.costNanos += cost.total;
    else this.priced = false;
    // A turn like a run or a Responses response: the user messages it answers, the session's running figures.
    setTurnAttributes(this.env, span, this, r.id, cost, this.pendingUser.splice(0), { costNanos: this.costNanos, runCount: this.responses });
    let errorType: string | undefined;
    if (RESPONSE_STATUSES.failed(status)) {
      const error = obj(details?.error);
      errorType = apiErrorType(error, status);
      markApiError(span, error, status, `response ${status}`);
    }
    // Items: children of the response, timed by their added / done events (the mapping clamps them).
    const records: ItemRecord[] = output.map((item) => {
      const times = str(item.id) ? r.items.peek(str(item.id)!) : undefined;
      return { item: itemForSpans(item), start: times?.start ?? at, end: times?.end ?? at, deltas: times?.deltas ?? 0 };
    });
    const base: Attributes = { ...this.server, [A.responseId]: r.id };
    // A voice agent's tools are its agent layer's (the SDK's tool events time them), as in an agent run.
    const callItems = emitItemSpans(this.env, { span, base, vectorStoreIds: [], start: r.start, end: at, toolsTracedElsewhere: this.owner !== undefined }, records);
    const parent = trace.setSpan(ROOT_CONTEXT, this.span);
    for (const call of callItems) this.tools.add(call.item, undefined, at, base, parent);
    span.end(at);
    this.owner?.responseEnded(r.parent, at);
    const metrics = this.env.metrics();
    if (metrics)
      recordOperation(metrics, {
        operation: 'chat',
        requestModel: model,
        client: this.metricsClient,
        seconds: Math.max(0, at - r.start) / 1000,
        ...usageMeasure(usage, cost),
        errorType,
      });
    this.updateTotals();
  }

  /** What a response said: its output messages (text / transcripts, tool calls), audio sizes, first-chunk times. */
  private outputAttributes(r: OpenResponse, response: Obj, output: Obj[], finish: string): void {
    const span = r.span;
    const modalities = arr(response.output_modalities ?? response.modalities).filter((m): m is string => typeof m === 'string');
    if (modalities.length) span.setAttribute('spanlens.realtime.output_modalities', modalities);
    if (r.textDeltas) span.setAttribute('spanlens.realtime.text_delta.count', r.textDeltas);
    if (r.argumentDeltas) span.setAttribute('spanlens.realtime.arguments_delta.count', r.argumentDeltas);
    if (r.audioDeltas) {
      span.setAttribute('spanlens.realtime.output_audio.delta.count', r.audioDeltas);
      span.setAttribute('spanlens.realtime.output_audio.bytes', r.audioBytes);
      const rate = bytesPerSecond(this.config.outputFormat ?? { type: 'audio/pcm', rate: 24000 });
      if (rate) span.setAttribute('spanlens.realtime.output_audio.duration_ms', Math.round((r.audioBytes / rate) * 1000));
    }
    if (r.firstText !== undefined) span.setAttribute('spanlens.realtime.time_to_first_text', Math.max(0, r.firstText - r.start) / 1000);
    if (r.firstAudio !== undefined) span.setAttribute('spanlens.realtime.time_to_first_audio', Math.max(0, r.firstAudio - r.start) / 1000);
    if (r.cancelRequested) span.setAttribute('spanlens.realtime.cancel_requested', true);
    const parts = [];
    for (const item of output) {
      if (item.type === 'message') {
        const text = itemText(item);
        if (text !== undefined) parts.push({ type: 'text', content: this.env.content.enabled ? this.env.content.cap(text) : '' });
      } else {
        const part = itemPart(item);
        if (part) parts.push(part);
      }
    }
    if (parts.length) {
      const captured = this.env.content.capture(A.outputMessages, [{ role: 'assistant', parts, finish_reason: finish === 'tool_calls' ? 'tool_call' : finish }]);
      if (captured !== undefined) span.setAttribute(A.outputMessages, captured);
    }
  }

  private transcribed(event: Obj, at: number, failed: boolean): void {
    const itemId = str(event.item_id);
    const committed = itemId ? this.transcriptions.peek(itemId) : undefined;
    if (itemId) this.transcriptions.delete(itemId);
    const model = this.config.transcriptionModel;
    const start = Math.min(committed ?? at, at);
    // No gen_ai.operation.name: `transcription` is not one of its (closed) members, and `generate_content`
    // would make this a client inference call; kind and subtype say what it is (as a message item's span).
    const attributes: Attributes = { ...this.server, [A.kind]: 'llm', [A.subtype]: 'transcription' };
    if (model) attributes[A.requestModel] = model;
    if (itemId) attributes[A.itemId] = itemId;
    // Billed by tokens (gpt-4o-transcribe …) or by audio time (whisper-1: usage {type: 'duration'}); either
    // cost is the session's too, as its responses' are.
    const usage = obj(event.usage);
    const seconds = usage?.type === 'duration' ? num(usage.seconds) : undefined;
    const u = seconds === undefined ? readUsage(usage) : {};
    let cost: CostNanos | undefined;
    if (seconds !== undefined) {
      attributes['spanlens.usage.audio_seconds'] = seconds;
      cost = this.env.cost.ofAudioTime(model, seconds);
    } else if (usage) {
      Object.assign(attributes, usageAttributes(usage), modalityAttributes(u));
      cost = this.env.cost.of(model, usage);
    }
    if (cost) {
      Object.assign(attributes, costAttributes(cost));
      this.costNanos += cost.total;
    }
    const text = str(event.transcript);
    const captured = text === undefined ? undefined : this.env.content.capture('spanlens.transcription.text', text);
    if (captured !== undefined) attributes['spanlens.transcription.text'] = captured;
    const parent = trace.setSpan(ROOT_CONTEXT, this.span);
    const span = this.env.tracer().startSpan(model ? `transcription ${model}` : 'transcription', { kind: SpanKind.INTERNAL, startTime: start, attributes }, parent);
    if (failed) markApiError(span, event.error, 'transcription_failed', 'input audio transcription failed');
    span.end(at);
    // The metrics need one of the conventions' operation names (a closed set as our conformance check
    // reads it): transcription is audio in, text out, the conventions' `generate_content`. The span keeps
    // its own name and no operation (it is not a client inference span: spanlens.subtype says what it is).
    const metrics = this.env.metrics();
    if (metrics)
      recordOperation(metrics, {
        operation: 'generate_content',
        requestModel: model,
        client: this.metricsClient,
        seconds: Math.max(0, at - start) / 1000,
        ...usageMeasure(usage, cost),
        errorType: failed ? apiErrorType(obj(event.error), 'transcription_failed') : undefined,
      });
    if (cost) this.updateTotals();
  }

  /** An `error` event: the response.create it answers fails; any other marks the session. */
  private error(error: Obj | undefined, at: number): void {
    this.errors++;
    const eventId = str(error?.event_id);
    const i = eventId ? this.creates.findIndex((c) => c.eventId === eventId) : -1;
    if (i >= 0) {
      const [create] = this.creates.splice(i, 1);
      const model = this.model;
      const attributes: Attributes = { ...this.server, [A.operation]: 'chat', [A.kind]: 'llm', [A.subtype]: 'realtime', [A.requestStream]: true };
      if (model) attributes[A.requestModel] = model;
      const parent = this.responseParent(create!.at);
      const span = this.env.tracer().startSpan(model ? `chat ${model}` : 'chat', { kind: SpanKind.CLIENT, startTime: create!.at, attributes }, parent);
      markApiError(span, error, 'error', 'response.create failed');
      span.end(Math.max(at, create!.at));
      this.owner?.responseEnded(parent, Math.max(at, create!.at));
      const metrics = this.env.metrics();
      if (metrics)
        recordOperation(metrics, { operation: 'chat', requestModel: model, client: this.metricsClient, seconds: Math.max(0, at - create!.at) / 1000, errorType: apiErrorType(error, 'error') });
      return;
    }
    const attrs: Attributes = { [A.errorType]: apiErrorType(error, 'error') };
    const message = str(error?.message);
    if (message) attrs['exception.message'] = message;
    if (eventId) attrs['spanlens.realtime.event_id'] = eventId;
    this.span.addEvent('openai.realtime.error', attrs, at);
    markApiError(this.span, error, 'error', 'realtime error');
  }

  /** Where a response's span starts: under the session, or under a voice agent's current agent. */
  private responseParent(start: number): Context {
    return this.owner?.responseParent(start) ?? trace.setSpan(ROOT_CONTEXT, this.span);
  }

  /** A session configuration, sent or received (the beta protocol's transcription sessions have events of their own). */
  private readSession(event: Obj): void {
    const session = obj(event.session);
    if (session) readSession(this.config, session);
    if (str(event.type)?.startsWith('transcription_session.')) this.config.type = 'transcription';
    this.updateSessionSpan();
  }

  private updateSessionSpan(): void {
    this.span.setAttributes(sessionAttributes(this.config, (k, v) => this.env.content.capture(k, v)));
    if (this.config.type) this.span.setAttribute('spanlens.realtime.session_type', this.config.type);
    const name = this.spanName();
    if (name !== this.name) this.span.updateName((this.name = name));
  }

  /**
   * `realtime {model}` (the URL's model, else the one the session names); a transcription session has no
   * model of its own (its transcription model may change with each update and names its transcription
   * spans): `realtime transcription`; `realtime` until known.
   */
  private spanName(): string {
    if (this.config.type === 'transcription') return 'realtime transcription';
    return this.model ? `realtime ${this.model}` : 'realtime';
  }

  /** A conversation item the server added: a user's message (typed, or a spoken turn) is what the next response answers. */
  private itemAdded(item: Obj | undefined, at: number): void {
    if (item?.type !== 'message' || item.role !== 'user') return;
    this.userMessageCount++;
    if (this.pendingUser.length >= MAX_PENDING_INPUT) this.pendingUser.shift();
    this.pendingUser.push({ id: str(item.id), role: 'user', text: itemText(item) ?? '', createdAt: at });
  }

  private updateTotals(): void {
    this.span.setAttributes({ 'spanlens.session.response_count': this.responses, 'spanlens.session.input_tokens': this.inputTokens, 'spanlens.session.output_tokens': this.outputTokens });
    this.span.setAttribute('spanlens.session.user_message_count', this.userMessageCount);
    if (!this.priced) return;
    this.span.setAttribute('spanlens.session.cost.usd', nanosToUsd(this.costNanos));
    if (this.userMessageCount) this.span.setAttribute(A.threadCostPerUserMessage, nanosToUsd(Math.round(this.costNanos / this.userMessageCount)));
  }

  /**
   * The connection closed (`code`: the WebSocket close code, if known; `byApp`: the app closed it). Open
   * responses end failed `websocket_closed` (the connection they needed went away) unless the app closed it.
   */
  closed(code: number | undefined, byApp: boolean, at = now()): void {
    if (this.ended) return;
    if (code !== undefined) this.span.setAttribute('spanlens.realtime.close_code', code);
    this.finish(byApp ? 'closed' : 'server_closed', at, byApp ? undefined : code);
  }

  /** Ends the session unfinished: `shutdown`, `evicted`, `reconfigured`. */
  end(reason: string, at = now()): void {
    if (this.ended) return;
    this.finish(reason, at, undefined);
  }

  private finish(reason: string, at: number, code: number | undefined): void {
    this.ended = true;
    for (const r of this.openResponses()) {
      this.open.delete(r.id);
      this.endResponse(r, at, reason === 'closed' ? 'aborted' : reason, code);
    }
    this.creates.length = 0;
    if (reason !== 'closed') this.span.setAttribute('spanlens.realtime.end_reason', reason);
    if (this.inputAudioChunks) {
      this.span.setAttribute('spanlens.realtime.input_audio.append.count', this.inputAudioChunks);
      this.span.setAttribute('spanlens.realtime.input_audio.bytes', this.inputAudioBytes);
      const rate = bytesPerSecond(this.config.inputFormat ?? { type: 'audio/pcm', rate: 24000 });
      if (rate) this.span.setAttribute('spanlens.realtime.input_audio.duration_ms', Math.round((this.inputAudioBytes / rate) * 1000));
    }
    if (this.errors) this.span.setAttribute('spanlens.realtime.error.count', this.errors);
    if (this.interruptions) this.span.setAttribute('spanlens.realtime.interruption.count', this.interruptions);
    if (this.truncations) this.span.setAttribute('spanlens.realtime.truncate.count', this.truncations);
    this.owner?.ended(reason, at);
    this.span.end(at);
  }

  /** A response that never got its `response.done`. */
  private endResponse(r: OpenResponse, at: number, reason: string, code?: number): void {
    r.span.setAttribute(A.responseEndReason, reason);
    if (reason === 'server_closed') markThrown(r.span, closedError(code));
    else if (reason === 'evicted') markError(r.span, 'evicted', 'more open responses than a session keeps');
    r.span.end(at);
    this.owner?.responseEnded(r.parent, at);
  }
}
