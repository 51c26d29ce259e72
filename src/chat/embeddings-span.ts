import { A } from '../trace/attributes';
import { costAttributes } from '../cost/cost-model';
import { arr, num, obj, str, type Obj } from '../util/json';
import type { ObservedCall } from '../calls/observed-call';
import type { Route } from '../calls/routes';
import { markThrown } from '../trace/errors';
import type { Services } from '../services';
import { callKey, measureCall, measureFailedCall, startGenAISpan } from './genai-call';

/** `embeddings {model}`. */
export function embeddingsSpan(env: Services, call: ObservedCall, route: Route, body: Obj | undefined): void {
  const request = obj(call.options?.body);
  const span = startGenAISpan(env, call, route, 'embeddings', request);
  const format = str(request?.encoding_format);
  if (format) span.setAttribute(A.encodingFormats, [format]);
  if (call.error) {
    markThrown(span, call.error);
    measureFailedCall(env, 'embeddings', call);
  } else if (body) {
    const model = str(body.model) ?? str(request?.model);
    if (model) span.setAttribute(A.responseModel, model);
    const first = obj(arr(body.data)[0])?.embedding;
    const dims = Array.isArray(first) ? first.length : typeof first === 'string' ? Math.floor((first.length * 3) / 4 / 4) : undefined;
    if (dims) span.setAttribute(A.embeddingDimensions, dims);
    // Embeddings usage has input tokens only.
    const usage = { prompt_tokens: num(obj(body.usage)?.prompt_tokens) };
    if (usage.prompt_tokens !== undefined) span.setAttribute(A.inputTokens, usage.prompt_tokens);
    const cost = env.cost.of(model, { ...usage, completion_tokens: 0 });
    if (cost) span.setAttributes(costAttributes(cost));
    measureCall(env, callKey('embeddings', call, model), call, { input: usage.prompt_tokens }, cost?.total);
  }
  span.end(call.endTime);
}
