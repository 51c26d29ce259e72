import type { Attributes, Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { chatCompletionSpan } from '../chat/chat-span';
import { ChatStreamSink } from '../chat/chat-stream';
import { embeddingsSpan } from '../chat/embeddings-span';
import { decisionSpan } from '../chat/decision-span';
import { arr, obj, str, type Obj } from '../util/json';
import type { ObservedCall } from '../calls/observed-call';
import { matchRoute, type Route, type RouteKind } from '../calls/routes';
import { ResponseTracker } from '../responses/response-tracker';
import { RealtimeSessions, SocketSessions } from '../realtime/realtime-sessions';
import { LiveSession } from '../live/live-session';
import type { LiveSessions } from './live-socket';
import { responseStartAttributes } from '../responses/response-attributes';
import { ResponseStreamSink } from '../responses/response-stream';
import { RunTracker } from '../assistants/run-tracker';
import { RunStreamSink } from '../assistants/run-stream';
import type { StreamSink } from '../streams/stream-tap';
import { CLIENT, callAttributes } from '../trace/call-attributes';
import { markThrown, thrownErrorType } from '../trace/errors';
import { measureCall, measureFailedCall } from '../chat/genai-call';
import type { Services } from '../services';
import { placeSpan } from '../trace/placement';
import { conversationKey, threadKey } from '../trace/trace-ids';
import { ConversationStore } from '../turns/conversation-store';

/** What one route kind does with a finished call. */
type CallHandler = (call: ObservedCall, route: Route, body: Obj | undefined, request: Obj | undefined) => void;

/**
 * Turns each observed SDK call into telemetry: Assistants entities by the trace model (thread = trace,
 * run = span, polls = events), Responses the same way (conversation = trace, response = span), chat
 * completions and embeddings as GenAI spans, every other endpoint as one CLIENT span, inside the
 * thread's or conversation's trace when the path names one.
 */
export class CallDispatcher {
  readonly store: ConversationStore;
  readonly runs: RunTracker;
  readonly responses: ResponseTracker;
  /** Realtime sessions over WebSocket (hook/realtime-socket.ts feeds them). */
  readonly realtime: RealtimeSessions;
  /** Live API sessions over WebSocket (hook/live-socket.ts feeds them); their delegations stream as Responses. */
  readonly live: LiveSessions;

  constructor(private readonly env: Services) {
    this.store = new ConversationStore(env.maxEntities, env.content);
    this.runs = new RunTracker(env, this.store);
    this.responses = new ResponseTracker(env, this.store);
    this.realtime = new RealtimeSessions(env);
    this.live = new SocketSessions(env, (tools, start) => new LiveSession(env, (call) => this.stream(call), tools, start), 'open Live sessions');
  }

  /** Ends every open run, response, Realtime and Live session (shutdown, reconfiguration), marked as not observed to finish. */
  endAll(reason: string): void {
    this.runs.endAll(reason);
    this.responses.endAll(reason);
    this.realtime.endAll(reason);
    this.live.endAll(reason);
  }

  /** A call that ended without a stream sink: its route kind says what it records and which span it becomes. */
  handle(call: ObservedCall): void {
    const method = call.options?.method;
    const path = call.options?.path;
    if (typeof method !== 'string' || typeof path !== 'string') return;
    const route = matchRoute(method, path);
    let body = call.error || call.stream ? undefined : obj(call.body);
    // A run object without thread_id (a proxy or compatible server trimming it) belongs to the path's thread.
    if (body && route.kind.startsWith('run.') && route.threadId && body.thread_id === undefined) body = { ...body, thread_id: route.threadId };
    this.handlers[route.kind](call, route, body, obj(call.options?.body));
  }

  /**
   * What each route kind does with an ended call (`body`: its parsed JSON result, none on error or stream;
   * `request`: what the app sent). Built once per dispatcher; a lookup per call, like the switch it replaces.
   */
  private readonly handlers: Record<RouteKind, CallHandler> = {
    // Assistants entities: recorded for the spans that need them later, each call one CLIENT span.
    'assistant.create': (call, route, body, request) => this.assistantCreated(call, route, body, request),
    'assistant.read': (call, route, body) => {
      if (body?.object === 'list') arr(body.data).forEach((a) => this.store.recordAssistant(obj(a)));
      else this.store.recordAssistant(body);
      this.callSpan(call, route);
    },
    'thread.create': (call, route, body, request) => this.threadCreated(call, route, body, request),
    'thread.read': (call, route, body) => {
      if (route.threadId && body) this.store.recordThreadResources(route.threadId, body.tool_resources);
      this.callSpan(call, route);
    },
    'message.create': (call, route, body, request) => {
      if (body) this.store.recordMessage(body, route.threadId, true);
      else if (route.threadId && !call.error) this.store.recordRequestMessages(route.threadId, [request]);
      this.callSpan(call, route, undefined, body?.id ? { [A.messageId]: String(body.id) } : {});
    },
    'message.read': (call, route, body) => {
      if (body?.object === 'list') this.store.recordMessageList(body.data, route.threadId);
      else this.store.recordMessage(body, route.threadId);
      this.callSpan(call, route);
    },
    // Runs feed the run tracker; a call that brought back no run object is a plain span.
    'run.create_and_run': (call, route, body, request) => this.threadCreated(call, route, body, request),
    'run.create': (call, route, body, request) => {
      this.beforeRun(call, route, request);
      this.runOrCallSpan(call, route, body, 'create');
    },
    'run.retrieve': (call, route, body) => {
      if (body) return this.runs.onRun(body, call, 'poll');
      if (call.error && route.runId && this.runs.onPollError(route.runId, call)) return;
      this.callSpan(call, route);
    },
    'run.submit_tool_outputs': (call, route, body, request) => {
      if (!call.error) this.beforeRun(call, route, request);
      this.runOrCallSpan(call, route, body, 'submit');
    },
    'run.cancel': (call, route, body) => this.runOrCallSpan(call, route, body, 'cancel'),
    // Responses feed the response tracker; conversations are the traces responses live in.
    'response.create': (call, route, body, request) => this.responseCreated(call, route, body, request),
    'response.retrieve': (call, route, body) => this.responseOrCallSpan(call, route, body, 'poll'),
    'response.cancel': (call, route, body) => this.responseOrCallSpan(call, route, body, 'cancel'),
    'conversation.create': (call, route, body, request) => this.conversationCreated(call, route, body, request),
    'conversation.items': (call, route, _body, request) => {
      if (!call.error) this.responses.onItems(route.conversationId, arr(request?.items), call.startTime, call.ambient);
      this.callSpan(call, route);
    },
    'conversation.read': (call, route) => this.callSpan(call, route),
    // Chat completions and embeddings: GenAI spans in the app's trace.
    'chat.create': (call, route, body) => chatCompletionSpan(this.env, call, route, body),
    'embeddings.create': (call, route, body) => embeddingsSpan(this.env, call, route, body),
    // A Decision: a model call (`chat {model}`), the same mapping as a Live session's decisions.
    'decision.create': (call, route, body) => decisionSpan(this.env, call, route, body),
    generic: (call, route) => this.callSpan(call, route),
  };

  /** `create_agent {name}`: the assistant's identity and (with content capture) its instructions. */
  private assistantCreated(call: ObservedCall, route: Route, body: Obj | undefined, request: Obj | undefined): void {
    const info = this.store.recordAssistant(body);
    const name = info?.name ?? str(request?.name);
    const attrs: Attributes = { [A.operation]: 'create_agent', [A.kind]: 'agent' };
    if (info?.id) attrs[A.agentId] = info.id;
    if (name) attrs[A.agentName] = name;
    const model = str(request?.model);
    if (model) attrs[A.requestModel] = model;
    const description = info?.description ?? str(request?.description);
    if (description) attrs[A.agentDescription] = description;
    const instructions = this.env.content.capture(A.systemInstructions, str(request?.instructions) ? [{ type: 'text', content: request?.instructions }] : undefined);
    if (instructions) attrs[A.systemInstructions] = instructions;
    this.callSpan(call, route, name ? `create_agent ${name}` : 'create_agent', attrs);
    // The assistant object names the model it will run on: the answer's model, as for an inference.
    const responseModel = str(body?.model) ?? model;
    measureCall(this.env, { operation: 'create_agent', requestModel: model, responseModel, client: call.client, errorType: call.error ? thrownErrorType(call.error) : undefined }, call);
  }

  private runOrCallSpan(call: ObservedCall, route: Route, body: Obj | undefined, via: 'create' | 'submit' | 'cancel'): void {
    if (body) return this.runs.onRun(body, call, via);
    this.callSpan(call, route);
    // A run request that failed is a failed invoke_agent operation (a failed cancel is not an operation).
    if (call.error && via !== 'cancel') measureFailedCall(this.env, 'invoke_agent', call);
  }

  private responseCreated(call: ObservedCall, route: Route, body: Obj | undefined, request: Obj | undefined): void {
    if (!call.error) this.responses.onRequest(request, call.startTime, call.ambient);
    if (body) return this.responses.onResponse(body, call, 'create');
    this.createWithoutResponse(call, route, request);
  }

  /**
   * A create that gave no response (it failed, or its body was never read) is still the chat call it was:
   * `chat {model}` with the request's attributes, in the conversation it was for; failed, a failed chat operation.
   */
  private createWithoutResponse(call: ObservedCall, route: Route, request: Obj | undefined): void {
    const model = str(request?.model);
    const attrs = responseStartAttributes(call.client, undefined, request, {});
    this.callSpan(call, { ...route, conversationId: str(request?.conversation) ?? str(obj(request?.conversation)?.id) }, model ? `chat ${model}` : 'chat', attrs);
    if (call.error) measureFailedCall(this.env, 'chat', call);
  }

  private responseOrCallSpan(call: ObservedCall, route: Route, body: Obj | undefined, via: 'poll' | 'cancel'): void {
    if (body) this.responses.onResponse(body, call, via);
    else this.callSpan(call, route);
  }

  /** POST /conversations: the created conversation's trace starts here, with its initial items. */
  private conversationCreated(call: ObservedCall, route: Route, body: Obj | undefined, request: Obj | undefined): void {
    const id = str(body?.id);
    if (!id) return this.callSpan(call, route);
    this.responses.onItems(id, arr(request?.items), call.startTime, call.ambient);
    this.callSpan(call, { ...route, conversationId: id }, route.name, { [A.conversationCreated]: true });
  }

  /** A streaming call: run and response streams feed their state machines; chat streams a chat span. */
  stream(call: ObservedCall): StreamSink | undefined {
    const method = call.options?.method;
    const path = call.options?.path;
    if (typeof method !== 'string' || typeof path !== 'string') return undefined;
    const route = matchRoute(method, path);
    if (route.kind === 'chat.create') return new ChatStreamSink(this.env, call, route);
    if (route.kind === 'response.create' || route.kind === 'response.retrieve') {
      if (route.kind === 'response.create') this.responses.onRequest(obj(call.options?.body), call.startTime, call.ambient);
      return new ResponseStreamSink(call, route.responseId, this.responses, (_outcome, at, error) => {
        const ended = { ...call, endTime: at, error: error ?? call.error };
        if (route.kind === 'response.create') this.createWithoutResponse(ended, route, obj(call.options?.body));
        else this.failedStream(ended, route, 'chat');
      });
    }
    if (route.kind !== 'run.create' && route.kind !== 'run.create_and_run' && route.kind !== 'run.submit_tool_outputs') return undefined;
    const request = obj(call.options?.body);
    this.beforeRun(call, route, request);
    return new RunStreamSink(call, route, this.runs, this.store, {
      threadCreated: (thread, at) => this.threadCreated({ ...call, endTime: at }, route, { ...thread, thread_id: thread.id }, request, false),
      noRun: (_outcome, at, error) => this.failedStream({ ...call, endTime: at, error: error ?? call.error }, route, 'invoke_agent'),
    });
  }

  /** A stream that ended before its run or response was seen: a call span, and a failed operation if it failed. */
  private failedStream(call: ObservedCall, route: Route, operation: string): void {
    this.callSpan(call, route);
    if (call.error) measureFailedCall(this.env, operation, call);
  }

  /** What a run request itself says: messages it adds, tool outputs it submits. */
  private beforeRun(call: ObservedCall, route: Route, request: Obj | undefined): void {
    if (route.kind === 'run.create' && route.threadId && request) this.store.recordRequestMessages(route.threadId, request.additional_messages);
    if (route.kind === 'run.submit_tool_outputs' && route.runId) this.runs.onSubmit(route.runId, request, call.startTime);
  }

  /** POST /threads and POST /threads/runs: the call that created the thread is its trace's root. */
  private threadCreated(call: ObservedCall, route: Route, body: Obj | undefined, request: Obj | undefined, withRun = true): void {
    const isRun = route.kind === 'run.create_and_run';
    const threadId = str(isRun ? body?.thread_id : body?.id);
    if (!threadId) return this.callSpan(call, route);
    const threadRequest = isRun ? obj(request?.thread) : request;
    this.store.recordRequestMessages(threadId, threadRequest?.messages);
    this.store.recordThreadResources(threadId, isRun ? threadRequest?.tool_resources : body?.tool_resources);
    const span = this.threadSpan(call, threadId, route.name, Object.assign(callAttributes(call, { ...route, threadId }), { [A.threadCreated]: true }));
    span.end(call.endTime);
    if (isRun && body && withRun) this.runs.onRun(body, call, 'create');
  }

  /**
   * One CLIENT span for a call: about the thread or conversation the path names, or the response chain of
   * a known response (placed by the trace scope, trace/placement.ts), else in the app's trace.
   */
  private callSpan(call: ObservedCall, route: Route, name = route.name, extra: Attributes = {}): void {
    const attrs = Object.assign(callAttributes(call, route), extra);
    if (call.stream) attrs[A.stream] = true;
    const key = route.threadId ? threadKey(route.threadId) : route.conversationId ? conversationKey(route.conversationId) : route.responseId ? this.responses.placementOf(route.responseId) : undefined;
    const span = placeSpan(this.env, key, call.ambient, name, { kind: CLIENT, startTime: call.startTime, attributes: attrs });
    if (call.error) markThrown(span, call.error);
    span.end(call.endTime);
  }

  /** A top-level span of a thread: placed by the trace scope (trace/placement.ts). */
  private threadSpan(call: ObservedCall, threadId: string, name: string, attributes: Attributes): Span {
    return placeSpan(this.env, threadKey(threadId), call.ambient, name, { kind: CLIENT, startTime: call.startTime, attributes });
  }
}
