import type { Attributes, Context } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { BoundedMap } from '../util/bounded-map';
import { arr, obj, secondsToMs, str, type Obj } from '../util/json';
import { emitItemSpans, type CallItem, type ItemRecord } from './output-item-spans';
import type { ObservedCall } from '../calls/observed-call';
import { CLIENT, serverAttributes } from '../trace/call-attributes';
import type { Services } from '../services';
import { placeSpan } from '../trace/placement';
import { conversationKey, type TraceKey } from '../trace/trace-ids';
import type { HistoryMessage, ConversationStore } from '../turns/conversation-store';
import { accountTurn, addTurn, recordStreamEndedTurn } from '../turns/turn-accounting';
import { chunkTimer, type ChunkTimer, type OperationKey } from '../cost/metrics';
import { TurnTracker, type TurnState } from '../turns/turn-tracker';
import { usageAttributes } from '../cost/usage';
import { apiErrorType, markApiError } from '../trace/errors';
import { RESPONSE_STATUSES, responseFinishReason } from './response-statuses';
import { inputItems, newUserMessages, setResponseContent } from './response-content';
import { identityAttributes, responseStartAttributes, type ResponseIdentity } from './response-attributes';
import { PendingToolCalls } from './tool-outputs';

/** Where a response's span lives: a conversation's trace, a response chain's trace, or the app's. */
interface Placement {
  key?: TraceKey;
  /** The conversation-store entry its running figures go to: the conversation id, or the chain's first response id. */
  ledger: string;
  conversationId?: string;
  /** It continues a response chain (previous_response_id): the ledger is then the chain's id. */
  chained?: boolean;
}

/** Everything known about one response while its span is open. */
interface ResponseState extends TurnState {
  id: string;
  call: ObservedCall;
  placement: Placement;
  request?: Obj;
  polls: number;
  /** The response's (dated) model, as the API reports it. */
  model?: string;
  requestModel?: string;
  background: boolean;
  userMessages: HistoryMessage[];
  /** Output items by index as a stream showed them (added → done), with times. */
  streamed?: Map<number, ItemRecord>;
  terminalInStream: boolean;
  firstChunkAt?: number;
  /** The streaming metrics' timer (null: no meter), from the first output delta. */
  timer?: ChunkTimer | null;
}

type ResponseVia = 'create' | 'poll' | 'cancel' | 'stream';

/**
 * The Responses API's state machine. A response is one span, open from its create call (or the first
 * time it is seen) to the terminal status it is seen in: a plain create, a background response's polls
 * (events on the span), a cancel, or a stream's `response.completed`. Output items become child spans
 * (output-item-spans.ts). A response that ends in function calls ends like any other; the app's
 * function_call_output later makes a tool span of its own (tool-outputs.ts). A background response outlives
 * a broken stream (it goes on on the server: the app may resume or poll it).
 */
export class ResponseTracker {
  private readonly responses: TurnTracker<ResponseState>;
  /** Response id → its trace (so a response continuing it by previous_response_id joins the trace). */
  private readonly chains: BoundedMap<string, Placement>;
  /** Function calls of completed responses, until the app sends their outputs. */
  private readonly toolCalls: PendingToolCalls;
  /** Code interpreter containers already charged (a container is billed once per session). */
  private readonly containers: BoundedMap<string, true>;

  constructor(
    private readonly env: Services,
    private readonly store: ConversationStore,
  ) {
    this.responses = new TurnTracker<ResponseState>(env, {
      noun: 'open responses',
      close: (st, reason) => this.endUnfinished(st, reason),
      outlivesStream: (st, outcome) => st.background && outcome !== 'error',
    });
    this.chains = new BoundedMap(env.maxEntities);
    this.toolCalls = new PendingToolCalls(env);
    this.containers = new BoundedMap(env.maxEntities);
  }

  /** A create request's function_call_output items: the app's tool work for earlier function calls. */
  onRequest(request: Obj | undefined, at: number, ambient?: Context): void {
    if (request) this.onItems(undefined, inputItems(request.input), at, ambient);
  }

  /**
   * Items added to a conversation (conversations.create / items.create, ledger = the conversation) or
   * sent as a response's input: user messages count for the ledger's next response, tool outputs
   * make the tool spans of the calls they answer (`ambient`: the app's context when it sent them).
   */
  onItems(ledger: string | undefined, items: unknown[], at: number, ambient?: Context): void {
    const users: Obj[] = [];
    for (const raw of items) {
      const item = obj(raw);
      if (!item) continue;
      if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') this.toolCalls.output(item, at, ambient);
      else if ((item.type === undefined || item.type === 'message') && item.role === 'user') users.push(item);
    }
    if (ledger && users.length) this.store.recordRequestMessages(ledger, users);
  }

  /** A response object seen in a create, retrieve or cancel answer, or in a stream event. */
  onResponse(response: Obj, call: ObservedCall, via: ResponseVia, at = call.endTime, event?: string): void {
    const id = str(response.id);
    if (!id) return;
    // A late retrieve of a response whose span already ended starts nothing; a stream that is not its
    // create is a resumed one.
    const resumed = via === 'stream' && event !== 'response.created' && call.options?.method === 'GET';
    const st = this.responses.get(id) ?? (this.responses.isFinished(id) ? undefined : this.start(response, id, call, resumed ? 'poll' : via === 'stream' ? 'create' : via));
    if (!st) return;
    st.lastSeen = at;
    st.model = str(response.model) ?? st.model;
    const status = str(response.status) ?? st.status;
    if (via === 'poll') {
      st.polls++;
      st.span.addEvent('openai.response.poll', { [A.responseStatus]: status }, at);
    } else if (via === 'cancel') {
      st.span.addEvent('openai.response.cancel', { [A.responseStatus]: status }, call.startTime);
    }
    st.status = status;
    if (RESPONSE_STATUSES.isTerminal(status)) {
      if (via === 'stream') st.terminalInStream = true;
      this.finish(st, response, at);
    }
  }

  /** `response.output_item.added` / `.done`: an item's client-clock start and end. */
  onStreamItem(responseId: string, index: number, item: Obj, at: number, done: boolean): void {
    const st = this.responses.peek(responseId);
    if (!st) return;
    const items = (st.streamed ??= new Map());
    const rec = items.get(index) ?? { item, deltas: 0 };
    if (!done) rec.start ??= at;
    else rec.end = at;
    rec.item = item;
    items.set(index, rec);
    st.lastSeen = at;
  }

  /** An output delta (text, arguments, code): counted; the first one is the time to first chunk. */
  onStreamDelta(responseId: string, index: number | undefined, at: number, text: boolean): void {
    const st = this.responses.peek(responseId);
    if (!st) return;
    st.firstChunkAt ??= at;
    st.lastSeen = at;
    if (st.timer === undefined) st.timer = chunkTimer(this.env.metrics(), this.operationKey(st), st.startTime) ?? null;
    st.timer?.chunk(at);
    const rec = index === undefined ? undefined : st.streamed?.get(index);
    if (rec && text) rec.deltas++;
  }

  /** An `error` event in a response stream. */
  onStreamError(responseId: string | undefined, data: Obj | undefined, at: number): void {
    this.responses.streamError(responseId, data, at);
  }

  claimStream(responseId: string, stream: object): void {
    this.responses.claim(responseId, stream);
  }

  /**
   * A stream of this response ended before its terminal event. A background response goes on on the
   * server (the app may resume or poll it): its span stays open. Any other ends here, marked.
   */
  onStreamEnd(responseId: string, outcome: string, at: number, error: unknown, stream: object): void {
    this.responses.streamEnd(responseId, outcome, at, error, stream);
  }

  /** The trace a call about an existing response belongs to (retrieve, input_items, delete). */
  placementOf(responseId: string): TraceKey | undefined {
    return this.chains.peek(responseId)?.key;
  }

  /** Ends responses not seen for runTtlMs (background responses nobody polls any more). */
  sweep(at?: number): void {
    this.responses.sweep(at);
  }

  /** Shutdown: open responses end marked. */
  endAll(reason: string): void {
    this.responses.endAll(reason);
  }

  private start(response: Obj, id: string, call: ObservedCall, via: ResponseVia): ResponseState {
    const request = via === 'create' ? obj(call.options?.body) : undefined;
    const placement = this.place(response, request, id);
    const created = via === 'create' ? call.startTime : (secondsToMs(response.created_at) ?? call.startTime);
    const startTime = Math.min(created, call.startTime);
    const attributes = responseStartAttributes(call.client, identity(id, placement), request, response);
    if (via !== 'create') attributes[A.responseObservedFrom] = via;
    if (call.attributes) Object.assign(attributes, call.attributes);
    const requestModel = attributes[A.requestModel] as string | undefined;
    const name = `chat ${requestModel ?? 'unknown'}`;
    // An agent's model call lives under its agent, wherever the run's tree is.
    const span = placeSpan(this.env, call.agentManaged ? undefined : placement.key, call.ambient, name, { kind: CLIENT, startTime, attributes });
    if (!placement.key) {
      const ctx = span.spanContext();
      placement.key = { traceId: ctx.traceId, fallbackParentSpanId: ctx.spanId };
    }
    this.chains.set(id, placement);
    // The user messages this response answers: those its request carries for the first time.
    if (request) this.store.recordRequestMessages(placement.ledger, newUserMessages(request, placement.conversationId !== undefined || placement.chained === true));
    const ledger = this.store.thread(placement.ledger);
    const st: ResponseState = {
      id,
      span,
      call,
      placement,
      request,
      startTime,
      lastSeen: call.endTime,
      status: '',
      polls: 0,
      model: str(response.model),
      requestModel,
      background: attributes[A.responseBackground] === true,
      userMessages: ledger.pendingUser.splice(0),
      terminalInStream: false,
    };
    this.responses.open(id, st);
    return st;
  }

  /** A conversation's trace; else the trace of the response this one continues; else the app's. */
  private place(response: Obj, request: Obj | undefined, id: string): Placement {
    const conversationId = conversationOf(response) ?? conversationOf(request);
    if (conversationId) return { key: conversationKey(conversationId), ledger: conversationId, conversationId };
    const previous = str(response.previous_response_id) ?? str(request?.previous_response_id);
    const chain = previous ? this.chains.peek(previous) : undefined;
    if (chain) return { key: chain.key, ledger: chain.ledger, chained: true };
    // A chain whose earlier turns another process saw: the response it continues is the chain's id here.
    return previous ? { ledger: previous, chained: true } : { ledger: id };
  }

  private finish(st: ResponseState, response: Obj, endTime: number): void {
    this.responses.finish(st.id);
    const span = st.span;
    const status = st.status;
    const output = arr(response.output)
      .map(obj)
      .filter((o): o is Obj => o !== undefined);
    const records = this.itemRecords(st, output);
    const items = records.map((r) => r.item);
    // Name and operation were set at the start (what the sampler saw): the output does not change them.
    span.setAttribute(A.responseStatus, status);
    span.setAttribute(A.responsePollCount, st.polls);
    if (st.model) span.setAttribute(A.responseModel, st.model);
    const calls = items.some((i) => i.type === 'function_call' || i.type === 'custom_tool_call');
    span.setAttribute(A.finishReasons, [status === 'completed' && calls ? 'tool_calls' : responseFinishReason(status, response)]);
    span.setAttributes(usageAttributes(response.usage));
    const tier = str(response.service_tier);
    if (tier) span.setAttribute(A.serviceTier, tier);
    if (st.firstChunkAt !== undefined) span.setAttribute(A.timeToFirstChunk, Math.max(0, st.firstChunkAt - st.startTime) / 1000);
    const incomplete = str(obj(response.incomplete_details)?.reason);
    if (incomplete) span.setAttribute(A.incompleteReason, incomplete);
    if (RESPONSE_STATUSES.failed(status)) markApiError(span, response.error, status, `response ${status}`);
    setResponseContent(this.env.content, span, st.request, items, status);
    this.account(st, response, items);
    const callItems = this.emit(st, records, endTime);
    // The app's tool work for these calls gets its span when it sends their outputs (tool-outputs.ts);
    // an agent framework's tool spans are its own.
    const owner = st.call.toolCalls;
    if (status !== 'completed' || !calls || (st.call.agentManaged && !owner)) return;
    const base = this.childBase(st);
    const end = Math.max(endTime, st.startTime);
    for (const c of callItems) {
      if (owner) owner(c.item, end, base);
      else this.toolCalls.add(c.item, st.placement.key!, end, base);
    }
  }

  /** The item spans, then the response span, end; returns the function call items with their spans. */
  private emit(st: ResponseState, records: ItemRecord[], endTime: number): CallItem[] {
    const end = Math.max(endTime, st.startTime);
    try {
      const ctx = {
        span: st.span,
        base: this.childBase(st),
        vectorStoreIds: vectorStores(st.request),
        start: st.startTime,
        end,
        toolsTracedElsewhere: st.call.agentManaged === true && !st.call.toolCalls,
      };
      return emitItemSpans(this.env, ctx, records);
    } finally {
      st.span.end(end);
    }
  }

  private childBase(st: ResponseState): Attributes {
    return { ...serverAttributes(st.call.client), [A.responseId]: st.id, ...identityAttributes(identity(st.id, st.placement)) };
  }

  /** Streamed items keep their times; a non-streamed response's items come from its output. */
  private itemRecords(st: ResponseState, output: Obj[]): ItemRecord[] {
    const streamed = st.streamed;
    if (!streamed?.size) return output.map((item) => ({ item, deltas: 0 }));
    const byIndex = [...streamed.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r);
    // The terminal response's output is authoritative for the items' final content.
    byIndex.forEach((r, i) => {
      const final = output.find((o) => o.id !== undefined && o.id === r.item.id) ?? output[i];
      if (final && (final.id === undefined || final.id === r.item.id)) r.item = final;
    });
    for (const item of output.slice(byIndex.length)) byIndex.push({ item, deltas: 0 });
    return byIndex;
  }

  /** The response's cost (tokens and tool fees) and its conversation's running figures. */
  private account(st: ResponseState, response: Obj, items: Obj[]): void {
    const count = (type: string) => items.filter((i) => i.type === type).length;
    let codeSessions = 0;
    for (const i of items) {
      const container = str(i.container_id);
      if (i.type !== 'code_interpreter_call' || !container || this.containers.has(container)) continue;
      this.containers.set(container, true);
      codeSessions++;
    }
    const tools = { webSearchCalls: count('web_search_call'), fileSearchCalls: count('file_search_call'), codeSessions };
    const cost = this.env.cost.of(st.model, response.usage, tools);
    st.call.runTotals?.add(response.usage, cost);
    const ledger = this.store.thread(st.placement.ledger);
    accountTurn(this.env, st, {
      turnId: st.id,
      ledger,
      cost,
      totals: addTurn(ledger, cost),
      userMessages: st.userMessages,
      usage: response.usage,
      model: st.requestModel ?? st.model,
      responseModel: st.model,
      client: st.call.client,
      operation: 'chat',
      errorType: RESPONSE_STATUSES.failed(st.status) ? apiErrorType(response.error, st.status) : undefined,
    });
  }

  /** A response not seen to finish (TTL, eviction, shutdown, its stream broke): ends with what was streamed. */
  private endUnfinished(st: ResponseState, reason: string): void {
    this.responses.closed(st.id);
    st.span.setAttribute(A.responseEndReason, reason);
    if (st.status) st.span.setAttribute(A.responseStatus, st.status);
    st.span.setAttribute(A.responsePollCount, st.polls);
    const records = st.streamed ? [...st.streamed.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r) : [];
    this.emit(st, records, Math.max(st.lastSeen, st.startTime));
    recordStreamEndedTurn(this.env, st, reason, this.operationKey(st));
  }

  /** What the response's metrics are recorded under. */
  private operationKey(st: ResponseState): OperationKey {
    return { operation: 'chat', requestModel: st.requestModel ?? st.model, responseModel: st.model, client: st.call.client };
  }
}

function identity(id: string, p: Placement): ResponseIdentity {
  return { id, conversationId: p.conversationId, chainId: p.chained ? p.ledger : undefined };
}

/** `conversation` as a request sends it (id or {id}) or a response reports it ({id}). */
function conversationOf(o: Obj | undefined): string | undefined {
  const c = o?.conversation;
  return str(c) ?? str(obj(c)?.id);
}

function vectorStores(request: Obj | undefined): string[] {
  const ids = new Set<string>();
  for (const t of arr(request?.tools)) for (const v of arr(obj(t)?.vector_store_ids)) if (typeof v === 'string') ids.add(v);
  return [...ids];
}
