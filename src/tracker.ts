import type { Attributes, Span } from '@opentelemetry/api';
import { A } from './attributes';
import { arr, obj, str, type Obj } from './json';
import type { ObservedCall } from './request-observer';
import { matchRoute, type Route } from './routes';
import { RunTracker } from './run-state';
import { RunStreamSink } from './run-stream';
import type { StreamSink } from './stream-tap';
import { CLIENT, ambientLinks, callAttributes, setCallError, type SpanEnv } from './span-env';
import { startThreadSpan } from './thread-context';
import { ThreadStore } from './thread-store';

/**
 * Turns each observed SDK call into telemetry: Assistants entities by the trace model (thread = trace,
 * run = span, polls = events), every other endpoint as one CLIENT span, inside the thread's trace when
 * the path names a thread.
 */
export class Tracker {
  readonly store: ThreadStore;
  readonly runs: RunTracker;

  constructor(private readonly env: SpanEnv) {
    this.store = new ThreadStore(env.maxEntities, env.content);
    this.runs = new RunTracker(env, this.store);
  }

  handle(call: ObservedCall): void {
    const method = call.options?.method;
    const path = call.options?.path;
    if (typeof method !== 'string' || typeof path !== 'string') return;
    const route = matchRoute(method, path);
    const body = call.error || call.stream ? undefined : obj(call.body);
    const request = obj(call.options?.body);
    switch (route.kind) {
      case 'assistant.create': {
        const info = this.store.recordAssistant(body);
        const name = info?.name ?? str(request?.name);
        const attrs: Attributes = { [A.operation]: 'create_agent', [A.kind]: 'agent' };
        if (info?.id) attrs[A.agentId] = info.id;
        if (name) attrs[A.agentName] = name;
        const model = str(request?.model);
        if (model) attrs[A.requestModel] = model;
        const instructions = this.env.content.capture(A.systemInstructions, str(request?.instructions) ? [{ type: 'text', content: request?.instructions }] : undefined);
        if (instructions) attrs[A.systemInstructions] = instructions;
        return this.callSpan(call, route, name ? `create_agent ${name}` : 'create_agent', attrs);
      }
      case 'assistant.read':
        if (body?.object === 'list') arr(body.data).forEach((a) => this.store.recordAssistant(obj(a)));
        else this.store.recordAssistant(body);
        return this.callSpan(call, route);
      case 'thread.create':
      case 'run.create_and_run':
        return this.threadCreated(call, route, body, request);
      case 'thread.read':
        if (route.threadId && body) this.store.recordThreadResources(route.threadId, body.tool_resources);
        return this.callSpan(call, route);
      case 'message.create':
        if (body) this.store.recordMessage(body, route.threadId, true);
        else if (route.threadId && !call.error) this.store.recordRequestMessages(route.threadId, [request]);
        return this.callSpan(call, route, undefined, body?.id ? { [A.messageId]: String(body.id) } : {});
      case 'message.read':
        if (body?.object === 'list') this.store.recordMessageList(body.data, route.threadId);
        else this.store.recordMessage(body, route.threadId);
        return this.callSpan(call, route);
      case 'run.create':
        this.beforeRun(call, route, request);
        return body ? this.runs.onRun(body, call, 'create') : this.callSpan(call, route);
      case 'run.retrieve':
        if (body) return this.runs.onRun(body, call, 'poll');
        if (call.error && route.runId && this.runs.onPollError(route.runId, call)) return;
        return this.callSpan(call, route);
      case 'run.submit_tool_outputs':
        if (!call.error) this.beforeRun(call, route, request);
        return body ? this.runs.onRun(body, call, 'submit') : this.callSpan(call, route);
      case 'run.cancel':
        return body ? this.runs.onRun(body, call, 'cancel') : this.callSpan(call, route);
      default:
        return this.callSpan(call, route);
    }
  }

  /** A streaming call: run streams feed the run state machine; other streams are reported as calls. */
  stream(call: ObservedCall): StreamSink | undefined {
    const method = call.options?.method;
    const path = call.options?.path;
    if (typeof method !== 'string' || typeof path !== 'string') return undefined;
    const route = matchRoute(method, path);
    if (route.kind !== 'run.create' && route.kind !== 'run.create_and_run' && route.kind !== 'run.submit_tool_outputs') return undefined;
    const request = obj(call.options?.body);
    this.beforeRun(call, route, request);
    return new RunStreamSink(call, route, this.runs, this.store, {
      threadCreated: (thread, at) => this.threadCreated({ ...call, endTime: at }, route, { ...thread, thread_id: thread.id }, request, false),
      noRun: (_outcome, at, error) => this.callSpan({ ...call, endTime: at, error: error ?? call.error }, route),
    });
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
    const span = this.threadSpan(call, threadId, route.name, { ...callAttributes(call, { ...route, threadId }), [A.threadCreated]: true });
    span.end(call.endTime);
    if (isRun && body && withRun) this.runs.onRun(body, call, 'create');
  }

  /** One CLIENT span for a call, in its thread's trace when the path names a thread. */
  private callSpan(call: ObservedCall, route: Route, name = route.name, extra: Attributes = {}): void {
    const attrs = { ...callAttributes(call, route), ...extra };
    if (call.stream) attrs['spanlens.stream'] = true;
    const span: Span = route.threadId
      ? this.threadSpan(call, route.threadId, name, attrs)
      : this.env.tracer().startSpan(name, { kind: CLIENT, startTime: call.startTime, attributes: attrs }, call.ambient);
    if (call.error) setCallError(span, call.error);
    span.end(call.endTime);
  }

  /** A top-level span of a thread (see thread-context.ts); the app's span at call time is a link. */
  private threadSpan(call: ObservedCall, threadId: string, name: string, attributes: Attributes): Span {
    const { span, outcome } = startThreadSpan(this.env.tracer(), threadId, name, { kind: CLIENT, startTime: call.startTime, attributes, links: ambientLinks(call) });
    if (outcome === 'misrooted') {
      this.env.diag.warn("spanlens: ThreadTraceIdGenerator was constructed but is not the tracer provider's idGenerator; thread spans fall back to a remote parent");
    }
    return span;
  }
}
