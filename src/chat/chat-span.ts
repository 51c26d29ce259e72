import type { Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { costAttributes } from '../cost/cost-model';
import { finishReason, toolCallPart, type GenAIMessage, type Part } from '../trace/genai-messages';
import { arr, obj, str, type Obj } from '../util/json';
import type { ObservedCall } from '../calls/observed-call';
import type { Route } from '../calls/routes';
import { markThrown } from '../trace/errors';
import type { Services } from '../services';
import { readUsage, usageAttributes } from '../cost/usage';
import { callKey, measureCall, measureFailedCall, startGenAISpan } from './genai-call';

/** `chat {model}` for a non-streamed chat completion (also `parse`, and each call `runTools` makes). */
export function chatCompletionSpan(env: Services, call: ObservedCall, route: Route, body: Obj | undefined): void {
  const request = obj(call.options?.body);
  const span = startGenAISpan(env, call, route, 'chat', request);
  if (call.error) {
    markThrown(span, call.error);
    measureFailedCall(env, 'chat', call);
  } else if (body)
    finishChat(
      env,
      span,
      call,
      request,
      body,
      arr(body.choices).map((c) => choiceOutput(obj(c), obj(obj(c)?.message))),
    );
  span.end(call.endTime);
}

/** What a chat span says of one choice: its output message and finish reason. */
interface ChoiceOutput {
  message: GenAIMessage;
  finish?: string;
}

/**
 * One choice (a response's, or one merged from stream chunks) as a GenAI output message. Its
 * finish_reason is the schema's word for the API's (`noFinish` when the API gave none: a broken stream).
 */
export function choiceOutput(choice: Obj | undefined, message: Obj | undefined, noFinish?: string): ChoiceOutput {
  const parts: Part[] = [];
  const text = str(message?.content) ?? str(message?.refusal);
  if (text) parts.push({ type: 'text', content: text });
  for (const t of arr(message?.tool_calls)) {
    const tc = obj(t);
    const fn = obj(tc?.function);
    parts.push(toolCallPart(str(tc?.id) ?? '', str(fn?.name) ?? 'function', str(fn?.arguments)));
  }
  const finish = str(choice?.finish_reason);
  return { message: { role: str(message?.role) ?? 'assistant', parts, finish_reason: finishReason(finish, noFinish) }, finish };
}

/**
 * The response's side of a chat span (streamed or not): ids, model, finish reasons, usage, output, cost,
 * and the operation's metrics (with `errorType` when a stream ended in an error).
 */
export function finishChat(env: Services, span: Span, call: ObservedCall, request: Obj | undefined, body: Obj, outputs: ChoiceOutput[], end = call.endTime, errorType?: string): void {
  const id = str(body.id);
  if (id) span.setAttribute(A.responseId, id);
  const requested = str(request?.model);
  const model = str(body.model) ?? requested;
  if (model) span.setAttribute(A.responseModel, model);
  const finishes = outputs.map((o) => o.finish).filter((f): f is string => !!f);
  if (finishes.length) span.setAttribute(A.finishReasons, finishes);
  span.setAttributes(usageAttributes(body.usage));
  const fingerprint = str(body.system_fingerprint);
  if (fingerprint) span.setAttribute(A.systemFingerprint, fingerprint);
  const tier = str(body.service_tier);
  if (tier) span.setAttribute(A.serviceTier, tier);
  const output = env.content.capture(A.outputMessages, outputs.length ? outputs.map((o) => o.message) : undefined);
  if (output !== undefined) span.setAttribute(A.outputMessages, output);
  const cost = env.cost.of(model, body.usage);
  if (cost) span.setAttributes(costAttributes(cost));
  call.runTotals?.add(body.usage, cost);
  measureCall(env, callKey('chat', call, model, errorType), { ...call, endTime: end }, readUsage(body.usage), cost?.total);
}
