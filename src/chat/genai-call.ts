import type { Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { toolCallPart, toolResponsePart, type GenAIMessage, type Part } from '../trace/genai-messages';
import { arr, messageText, obj, str, type Obj } from '../util/json';
import { recordOperation, type OperationKey } from '../cost/metrics';
import { nanosToUsd } from '../cost';
import type { ObservedCall } from '../calls/observed-call';
import type { Route } from '../calls/routes';
import { CLIENT, callAttributes, requestParameters } from '../trace/call-attributes';
import { thrownErrorType } from '../trace/errors';
import type { Services } from '../services';

// What a chat completion's and an embeddings call's span share: one standard GenAI CLIENT span per
// call, in the app's trace (these calls have no conversation of their own), and the operation metrics.

/** `{operation} {requested model}` with the request's GenAI attributes (and, for chat, its input messages). */
export function startGenAISpan(env: Services, call: ObservedCall, route: Route, operation: 'chat' | 'embeddings', request: Obj | undefined): Span {
  const model = str(request?.model);
  const attrs = callAttributes(call, route);
  attrs[A.operation] = operation;
  attrs[A.kind] = 'llm';
  requestParameters(request, attrs);
  if (model) attrs[A.requestModel] = model;
  if (operation === 'chat') {
    attrs[A.apiType] = 'chat_completions';
    const format = str(obj(request?.response_format)?.type);
    if (format) attrs[A.outputType] = format === 'text' ? 'text' : 'json';
    // The conventions ask for the requested tier unless it is the API's default 'auto'.
    const tier = str(request?.service_tier);
    if (tier && tier !== 'auto') attrs[A.requestServiceTier] = tier;
    if (request?.stream === true) attrs[A.requestStream] = true;
    const input = env.content.capture(A.inputMessages, chatInput(request?.messages));
    if (input !== undefined) attrs[A.inputMessages] = input;
  }
  return env.tracer().startSpan(`${operation} ${model ?? 'unknown'}`, { kind: CLIENT, startTime: call.startTime, attributes: attrs }, call.ambient);
}

/** The metric identity of a chat or embeddings call: operation, requested and answering model, server. */
export const callKey = (operation: string, call: ObservedCall, responseModel?: string, errorType?: string): OperationKey => ({
  operation,
  requestModel: str(obj(call.options?.body)?.model),
  responseModel,
  client: call.client,
  errorType,
});

/** The call's operation metrics (when a meter is configured): duration, and tokens and cost when it answered. */
export function measureCall(env: Services, key: OperationKey, call: ObservedCall, usage: { input?: number; output?: number } = {}, costNanos?: number): void {
  const metrics = env.metrics();
  if (!metrics) return;
  recordOperation(metrics, {
    ...key,
    inputTokens: usage.input,
    outputTokens: usage.output,
    seconds: Math.max(0, call.endTime - call.startTime) / 1000,
    costUsd: costNanos === undefined ? undefined : nanosToUsd(costNanos),
  });
}

/** A call that failed (HTTP error, connection, …): its duration with error.type, like every operation. */
export function measureFailedCall(env: Services, operation: string, call: ObservedCall, error: unknown = call.error): void {
  if (env.metrics()) measureCall(env, callKey(operation, call, undefined, thrownErrorType(error)), call);
}

/** Chat `messages` as GenAI input messages (text, tool calls, tool results). */
function chatInput(messages: unknown): GenAIMessage[] | undefined {
  const list = arr(messages);
  if (!list.length) return undefined;
  return list.map((raw) => {
    const m = obj(raw);
    const role = str(m?.role) ?? 'user';
    if (role === 'tool') return { role, parts: [toolResponsePart(str(m?.tool_call_id) ?? '', messageText(m?.content))] };
    const parts: Part[] = [];
    const text = messageText(m?.content);
    if (text !== undefined) parts.push({ type: 'text', content: text });
    for (const t of arr(m?.tool_calls)) {
      const tc = obj(t);
      const fn = obj(tc?.function);
      parts.push(toolCallPart(str(tc?.id) ?? '', str(fn?.name) ?? 'function', str(fn?.arguments)));
    }
    return { role, parts };
  });
}
