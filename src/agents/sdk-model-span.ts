import type { Attributes, Span } from '@opentelemetry/api';
import type { CallTotalsSink } from '../calls/observed-call';
import { costAttributes } from '../cost/cost-model';
import { usageAttributes } from '../cost/usage';
import { recordOperation, usageMeasure } from '../cost/metrics';
import { setResponseContent } from '../responses/response-content';
import type { Services } from '../services';
import { A, PROVIDER } from '../trace/attributes';
import { CLIENT } from '../trace/call-attributes';
import { arr, num, obj, str, type Obj } from '../util/json';
import { generationInput, generationOutput } from './model-messages';
import { startAt, type Where } from './placement';
import type { SdkSpan } from './sdk';
import { markSdkError } from './span-shapes';

// A model call the SDK traced (its `response` or `generation` span) that our openai hook did not see: a
// model behind another provider's adapter, a custom Model, the Responses WebSocket transport. Its
// `chat {model}` span is made from the SDK span's data, timed by the SDK span, marked
// `spanlens.agents.observed_from` (`generation_span`, `response_span`). What the data holds depends on the model and on the run's
// `traceIncludeSensitiveData` (default true); without it a response span carries at most its id and a
// generation span its model: the span then says what is known (no model: named `chat`, no cost).

/** What a model call's span needs of the SDK's data. */
interface ModelCall {
  provider: string;
  /** The requested model; undefined when the data does not name one. */
  model?: string;
  responseModel?: string;
  responseId?: string;
  usage?: Obj;
  apiType?: string;
}

/**
 * Emits the `chat {model}` span of the SDK model span `s` at `where` (its agent), from `startTime` to `endTime`,
 * and counts its usage and cost once into `totals` (the run's).
 */
export function emitSdkModelSpan(env: Services, where: Where, s: SdkSpan, startTime: number, endTime: number, totals: CallTotalsSink | undefined): void {
  const d = s.spanData;
  const call = d.type === 'response' ? fromResponse(d) : fromGeneration(d);
  const attributes: Attributes = { [A.operation]: 'chat', [A.kind]: 'llm', [A.provider]: call.provider, [A.agentsObservedFrom]: `${String(d.type)}_span` };
  if (call.apiType) attributes[A.apiType] = call.apiType;
  if (call.model) attributes[A.requestModel] = call.model;
  const span = startAt(env, where, call.model ? `chat ${call.model}` : 'chat', { kind: CLIENT, startTime, attributes });
  const answered = call.responseModel ?? call.model;
  if (answered) span.setAttribute(A.responseModel, answered);
  if (call.responseId) span.setAttribute(A.responseId, call.responseId);
  span.setAttributes(usageAttributes(call.usage));
  const cost = call.usage ? env.cost.of(answered, call.usage) : undefined;
  if (cost) span.setAttributes(costAttributes(cost));
  // An answered call without usage (the data left out) still counts, unpriced: the run's cost is then unknown, not low.
  if (call.usage || !s.error) totals?.add(call.usage ?? {}, cost);
  putContent(env, span, s);
  const errorType = s.error ? markSdkError(span, s.error, env.content) : undefined;
  span.end(endTime);
  // The GenAI client metrics, as for a call our hook sees (under the adapter's provider; no server: the SDK's data names none).
  const metrics = env.metrics();
  if (metrics)
    recordOperation(metrics, {
      operation: 'chat',
      requestModel: call.model,
      responseModel: answered,
      provider: call.provider,
      seconds: Math.max(0, endTime - startTime) / 1000,
      ...usageMeasure(call.usage, cost),
      errorType,
    });
}

/** A response span: `_response` is the Responses API's response (with the run's data), `response_id` alone without. */
function fromResponse(d: Obj): ModelCall {
  const r = obj(d._response);
  const model = str(r?.model);
  return { provider: PROVIDER, apiType: 'responses', model, responseId: str(d.response_id) ?? str(r?.id), usage: obj(r?.usage) };
}

/**
 * A generation span: the model the adapter names (the AI SDK adapter's `{provider}:{model id}` loses its
 * provider prefix, kept as the provider), usage on the span or on a chat completion it output. A chat
 * completion as output (OpenAIChatCompletionsModel on a client we do not hook) is the OpenAI chat API's
 * format, named `openai` as our own chat spans are, whatever the base URL.
 */
function fromGeneration(d: Obj): ModelCall {
  const adapter = str(obj(d.model_config)?.provider);
  let model = str(d.model);
  if (adapter && model?.startsWith(`${adapter}:`)) model = model.slice(adapter.length + 1);
  const completion = arr(d.output)
    .map(obj)
    .find((o) => Array.isArray(o?.choices));
  const chatApi = !adapter && completion?.object === 'chat.completion';
  return {
    provider: chatApi ? PROVIDER : providerName(adapter),
    apiType: chatApi ? 'chat_completions' : undefined,
    model: model || undefined,
    responseModel: str(completion?.model),
    responseId: str(completion?.id),
    usage: generationUsage(obj(d.usage)) ?? obj(completion?.usage),
  };
}

/** Provider prefixes (the AI SDK's provider ids) with a name in the conventions' list. */
const KNOWN_PROVIDERS: [RegExp, string][] = [
  [/^azure/, 'azure.ai.openai'],
  [/^openai/, 'openai'],
  [/^anthropic/, 'anthropic'],
  [/^google\.vertex|^vertex/, 'gcp.vertex_ai'],
  [/^google/, 'gcp.gemini'],
  [/^(amazon-)?bedrock/, 'aws.bedrock'],
  [/^mistral/, 'mistral_ai'],
  [/^xai/, 'x_ai'],
  [/^(groq|deepseek|cohere|perplexity)/, ''],
];

/**
 * `gen_ai.provider.name`: the conventions' name for the adapter's provider when one fits, else the
 * adapter's own (a custom value, which the conventions allow), else `_OTHER` (a model that names none).
 */
export function providerName(adapter: string | undefined): string {
  if (!adapter) return '_OTHER';
  const id = adapter.toLowerCase();
  for (const [re, name] of KNOWN_PROVIDERS) {
    const m = re.exec(id);
    if (m) return name || m[1]!;
  }
  return adapter;
}

/**
 * A generation's usage (a free-form object: `input_tokens` / `output_tokens`, cached and reasoning counts
 * flat, under `details`, or in the Responses shape) as a Responses usage object the one usage reader takes.
 */
function generationUsage(u: Obj | undefined): Obj | undefined {
  if (!u) return undefined;
  const details = obj(u.details) ?? {};
  const pick = (...keys: string[]): number | undefined => {
    for (const k of keys) {
      const v = num(u[k]) ?? num(details[k]);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const cached = num(obj(u.input_tokens_details)?.cached_tokens) ?? pick('cached_input_tokens', 'cached_tokens');
  const reasoning = num(obj(u.output_tokens_details)?.reasoning_tokens) ?? pick('reasoning_tokens', 'reasoning_output_tokens');
  const input = pick('input_tokens', 'prompt_tokens');
  const output = pick('output_tokens', 'completion_tokens');
  if (input === undefined && output === undefined) return undefined;
  return {
    input_tokens: input,
    output_tokens: output,
    ...(cached !== undefined ? { input_tokens_details: { cached_tokens: cached } } : {}),
    ...(reasoning !== undefined ? { output_tokens_details: { reasoning_tokens: reasoning } } : {}),
  };
}

/** The call's messages under the content rules: a response's as our Responses spans put them, a generation's read by model-messages. */
function putContent(env: Services, span: Span, s: SdkSpan): void {
  const d = s.spanData;
  if (!env.content.enabled) return;
  const r = d.type === 'response' ? obj(d._response) : undefined;
  // A finished response: its messages as our Responses spans put them.
  if (r)
    return setResponseContent(
      env.content,
      span,
      { input: d._input, instructions: r.instructions },
      arr(r.output)
        .map(obj)
        .filter((i): i is Obj => !!i),
      str(r.status) ?? 'completed',
    );
  for (const [key, value] of [
    [A.inputMessages, generationInput(d.type === 'response' ? d._input : d.input)],
    [A.outputMessages, generationOutput(d.output)],
  ] as const) {
    const v = env.content.capture(key, value);
    if (v !== undefined) span.setAttribute(key, v);
  }
}
