import { SpanKind, type Attributes } from '@opentelemetry/api';
import type { ObservedCall } from '../calls/observed-call';
import type { Route } from '../calls/routes';
import { arr, num, type Obj } from '../util/json';
import { A, PROVIDER } from './attributes';

const serverCache = new WeakMap<object, Attributes>();

/** gen_ai.provider.name, server.address, server.port of the client's base URL (cached per client). */
export function serverAttributes(client: object): Attributes {
  let attrs = serverCache.get(client);
  if (attrs) return attrs;
  attrs = { [A.provider]: PROVIDER };
  try {
    const base = (client as { baseURL?: unknown }).baseURL;
    if (typeof base === 'string') {
      const url = new URL(base);
      attrs[A.serverAddress] = url.hostname;
      attrs[A.serverPort] = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    }
  } catch {
    // an unparsable base URL just leaves the server attributes out
  }
  serverCache.set(client, attrs);
  return attrs;
}

/** Attributes every span about a call carries: server, HTTP outcome, ids found in the path. */
export function callAttributes(call: ObservedCall, route: Route): Attributes {
  const attrs: Attributes = Object.assign({}, serverAttributes(call.client));
  if (call.options?.method) attrs[A.httpMethod] = call.options.method.toUpperCase();
  attrs[A.urlTemplate] = route.template;
  if (call.status !== undefined) attrs[A.httpStatus] = call.status;
  if (call.requestId) attrs[A.requestId] = call.requestId;
  if (route.threadId) {
    attrs[A.threadId] = route.threadId;
    attrs[A.conversationId] = route.threadId;
  }
  if (route.runId) attrs[A.runId] = route.runId;
  if (route.assistantId) attrs[A.agentId] = route.assistantId;
  if (route.messageId) attrs[A.messageId] = route.messageId;
  if (route.stepId) attrs[A.stepId] = route.stepId;
  // A conversation's and a response's ids have standard keys (no openai.* duplicate).
  if (route.conversationId) attrs[A.conversationId] = route.conversationId;
  if (route.responseId) attrs[A.responseId] = route.responseId;
  if (route.itemId) attrs[A.itemId] = route.itemId;
  return attrs;
}

export const threadAttributes = (threadId: string): Attributes => ({
  [A.threadId]: threadId,
  [A.conversationId]: threadId,
});

/** gen_ai.request.* of a Responses or chat request. */
/** The request's sampling parameters, written into `attrs` (no intermediate object: this is per call). */
export function requestParameters(request: Obj | undefined, attrs: Attributes): void {
  if (!request) return;
  setNumber(attrs, A.temperature, request.temperature);
  setNumber(attrs, A.topP, request.top_p);
  setNumber(attrs, A.maxTokens, request.max_output_tokens ?? request.max_completion_tokens ?? request.max_tokens);
  setNumber(attrs, A.seed, request.seed);
  setNumber(attrs, A.frequencyPenalty, request.frequency_penalty);
  setNumber(attrs, A.presencePenalty, request.presence_penalty);
  const n = num(request.n);
  if (n !== undefined && n !== 1) attrs[A.choiceCount] = n;
  if (request.stop === undefined || request.stop === null) return;
  const stop = typeof request.stop === 'string' ? [request.stop] : arr(request.stop).filter((s): s is string => typeof s === 'string');
  if (stop.length) attrs[A.stopSequences] = stop;
}

function setNumber(attrs: Attributes, key: string, v: unknown): void {
  const n = num(v);
  if (n !== undefined) attrs[key] = n;
}

export const CLIENT = SpanKind.CLIENT;
export const INTERNAL = SpanKind.INTERNAL;
