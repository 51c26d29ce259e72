import type { Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import type { GenAIMessage, Part } from '../trace/genai-messages';
import { arr, messageText, obj, str, type Obj } from '../util/json';
import { recordOperation } from '../cost/metrics';
import { nanosToUsd } from '../cost';
import type { ObservedCall } from '../calls/observed-call';
import type { Route } from '../calls/routes';
import { CLIENT, callAttributes, requestParameters } from '../trace/call-attributes';
import type { Services } from '../services';

// What a chat completion's and an embeddings call's span share: one standard GenAI CLIENT span per
// call, in the app's trace (these calls have no conversation of their own), and the operation metrics.

/** `{operation} {model}` with the request's GenAI attributes (and, for chat, its input messages). */
export function startGenAISpan(env: Services, call: ObservedCall, route: Route, operation: 'chat' | 'embeddings', request: Obj | undefined): Span {
  const model = str(request?.model);
  const attrs = callAttributes(call, route);
  attrs[A.operation] = operation;
  attrs[A.kind] = 'llm';
  requestParameters(request, attrs);
  if (model) attrs[A.requestModel] = model;
  const format = str(obj(request?.response_format)?.type);
  if (format) attrs[A.outputType] = format === 'text' ? 'text' : 'json';
  if (operation === 'chat') {
    const input = env.content.capture(A.inputMessages, chatInput(request?.messages));
    if (input !== undefined) attrs[A.inputMessages] = input;
  }
  return env.tracer().startSpan(`${operation} ${model ?? 'unknown'}`, { kind: CLIENT, startTime: call.startTime, attributes: attrs }, call.ambient);
}

/** The call's operation metrics (when a meter is configured): tokens, duration, cost. */
export function measureCall(env: Services, operation: string, model: string | undefined, call: ObservedCall, usage: { input?: number; output?: number }, costNanos: number | undefined): void {
  const metrics = env.metrics();
  if (!metrics) return;
  recordOperation(metrics, {
    operation,
    model,
    inputTokens: usage.input,
    outputTokens: usage.output,
    seconds: Math.max(0, call.endTime - call.startTime) / 1000,
    costUsd: costNanos === undefined ? undefined : nanosToUsd(costNanos),
  });
}

/** Chat `messages` as GenAI input messages (text, tool calls, tool results). */
function chatInput(messages: unknown): GenAIMessage[] | undefined {
  const list = arr(messages);
  if (!list.length) return undefined;
  return list.map((raw) => {
    const m = obj(raw);
    const role = str(m?.role) ?? 'user';
    if (role === 'tool') return { role, parts: [{ type: 'tool_call_response', id: str(m?.tool_call_id) ?? '', response: messageText(m?.content) ?? null }] };
    const parts: Part[] = [];
    const text = messageText(m?.content);
    if (text !== undefined) parts.push({ type: 'text', content: text });
    for (const t of arr(m?.tool_calls)) {
      const tc = obj(t);
      const fn = obj(tc?.function);
      parts.push({ type: 'tool_call', id: str(tc?.id) ?? '', name: str(fn?.name) ?? 'function', arguments: str(fn?.arguments) });
    }
    return { role, parts };
  });
}
