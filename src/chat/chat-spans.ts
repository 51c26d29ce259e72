import type { Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { costAttributes } from '../cost/cost-model';
import type { GenAIMessage, Part } from '../trace/genai-messages';
import { arr, messageText, num, obj, str, type Obj } from '../util/json';
import { recordOperation } from '../cost/metrics';
import { nanosToUsd } from '../cost';
import type { ObservedCall } from '../calls/observed-call';
import type { Route } from '../calls/routes';
import { CLIENT, callAttributes, requestParameters } from '../trace/call-attributes';
import { apiErrorType, markError, markThrown, thrownErrorType } from '../trace/errors';
import type { Services } from '../services';
import type { SSEEvent } from '../streams/sse';
import { appOutcome, type StreamOutcome, type StreamSink } from '../streams/stream-tap';
import { readUsage, usageAttributes } from '../cost/usage';

// Chat completions and embeddings: one standard GenAI CLIENT span per call, in the app's trace (these
// calls have no conversation of their own), with usage and cost.

/** `chat {model}` for a non-streamed chat completion (also `parse`, and each call `runTools` makes). */
export function chatCompletionSpan(env: Services, call: ObservedCall, route: Route, body: Obj | undefined): void {
  const request = obj(call.options?.body);
  const span = startCall(env, call, route, 'chat', request);
  if (call.error) markThrown(span, call.error);
  else if (body) finishChat(env, span, call, request, body, arr(body.choices).map((c) => choiceOutput(obj(c), obj(obj(c)?.message))));
  span.end(call.endTime);
}

/** `embeddings {model}`. */
export function embeddingsSpan(env: Services, call: ObservedCall, route: Route, body: Obj | undefined): void {
  const request = obj(call.options?.body);
  const span = startCall(env, call, route, 'embeddings', request);
  const format = str(request?.encoding_format);
  if (format) span.setAttribute(A.encodingFormats, [format]);
  if (call.error) markThrown(span, call.error);
  else if (body) {
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
    measure(env, 'embeddings', model, call, { input: usage.prompt_tokens }, cost?.total);
  }
  span.end(call.endTime);
}

/**
 * A streamed chat completion: chunks are merged per choice (text capped, tool call arguments joined),
 * the usage chunk (`stream_options.include_usage`) read, the first content chunk timed.
 */
export class ChatStreamSink implements StreamSink {
  private readonly span: Span;
  private readonly request: Obj | undefined;
  private readonly choices = new Map<number, { text: string; tools: Map<number, { id: string; name: string; arguments: string }>; finish?: string }>();
  private id?: string;
  private model?: string;
  private usage?: unknown;
  private fingerprint?: string;
  private tier?: string;
  private firstAt?: number;
  private done = false;
  /** A chunk whose data did not parse: the SDK throws that SyntaxError into the app's iteration. */
  private malformed?: unknown;
  /** An error chunk (`data: {"error": …}`): the SDK throws it at the app. */
  private errorChunk?: Obj;

  constructor(
    private readonly env: Services,
    private readonly call: ObservedCall,
    route: Route,
  ) {
    this.request = obj(call.options?.body);
    this.span = startCall(env, call, route, 'chat', this.request);
    this.span.setAttribute('spanlens.stream', true);
  }

  event(e: SSEEvent, at: number): void {
    if (e.data === '[DONE]') {
      this.done = true;
      return;
    }
    let chunk: Obj | undefined;
    try {
      chunk = obj(JSON.parse(e.data));
    } catch (err) {
      this.malformed ??= err;
      return;
    }
    if (chunk) this.item('message', chunk, at);
  }

  /** A chunk: its strings are read now (nothing of the app's object is kept but the usage). */
  item(_name: string, chunk: Obj, at: number): void {
    if (obj(chunk.error)) {
      this.errorChunk ??= obj(chunk.error);
      return;
    }
    this.id ??= str(chunk.id);
    this.model = str(chunk.model) ?? this.model;
    this.fingerprint = str(chunk.system_fingerprint) ?? this.fingerprint;
    this.tier = str(chunk.service_tier) ?? this.tier;
    if (obj(chunk.usage)) this.usage = chunk.usage;
    const keep = this.env.content.enabled;
    for (const raw of arr(chunk.choices)) {
      const c = obj(raw);
      const delta = obj(c?.delta);
      const index = num(c?.index) ?? 0;
      let choice = this.choices.get(index);
      if (!choice) this.choices.set(index, (choice = { text: '', tools: new Map() }));
      const text = str(delta?.content) ?? str(delta?.refusal);
      if (text) {
        this.firstAt ??= at;
        if (keep && choice.text.length < this.env.content.maxLength) choice.text += text;
      }
      for (const t of arr(delta?.tool_calls)) {
        const tc = obj(t);
        const i = num(tc?.index) ?? choice.tools.size;
        const fn = obj(tc?.function);
        this.firstAt ??= at;
        const cur = choice.tools.get(i) ?? { id: '', name: '', arguments: '' };
        cur.id = str(tc?.id) ?? cur.id;
        cur.name = str(fn?.name) ?? cur.name;
        if (keep && cur.arguments.length < this.env.content.maxLength) cur.arguments += str(fn?.arguments) ?? '';
        choice.tools.set(i, cur);
      }
      choice.finish = str(c?.finish_reason) ?? choice.finish;
    }
  }

  end(outcome: StreamOutcome, at: number, error?: unknown): void {
    const span = this.span;
    if (this.firstAt !== undefined) span.setAttribute(A.timeToFirstChunk, Math.max(0, this.firstAt - this.call.startTime) / 1000);
    const body: Obj = { id: this.id, model: this.model, usage: this.usage, system_fingerprint: this.fingerprint, service_tier: this.tier };
    const outputs = [...this.choices.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, c]) =>
        choiceOutput({ finish_reason: c.finish }, { role: 'assistant', content: c.text, tool_calls: [...c.tools.values()].map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } })) }),
      );
    finishChat(this.env, span, this.call, this.request, body, outputs, at);
    const failed = this.errorChunk !== undefined || this.malformed !== undefined;
    [outcome, error] = appOutcome(outcome, error, this.errorChunk !== undefined, this.malformed);
    // Seen through the SDK's Stream, `[DONE]` is not: a clean end is complete when every choice finished.
    if (outcome === 'done' && !this.done && !(this.choices.size > 0 && [...this.choices.values()].every((c) => c.finish))) outcome = 'truncated';
    if (failed || (!this.done && outcome !== 'done')) {
      span.setAttribute('spanlens.stream.end_reason', outcome);
      if (outcome === 'error') {
        // An error chunk is the API's word on the failure; without one the thrown error says what broke.
        const type = this.errorChunk ? apiErrorType(this.errorChunk, 'stream_error') : error === undefined ? 'stream_error' : thrownErrorType(error);
        markError(span, type, str(this.errorChunk?.message) ?? str((error as { message?: unknown } | null)?.message) ?? 'stream failed');
      }
    }
    span.end(at);
  }
}

interface ChoiceOutput {
  message: GenAIMessage;
  finish?: string;
}

function choiceOutput(choice: Obj | undefined, message: Obj | undefined): ChoiceOutput {
  const parts: Part[] = [];
  const text = str(message?.content) ?? str(message?.refusal);
  if (text) parts.push({ type: 'text', content: text });
  for (const t of arr(message?.tool_calls)) {
    const tc = obj(t);
    const fn = obj(tc?.function);
    parts.push({ type: 'tool_call', id: str(tc?.id) ?? '', name: str(fn?.name) ?? 'function', arguments: str(fn?.arguments) });
  }
  const finish = str(choice?.finish_reason);
  return { message: { role: str(message?.role) ?? 'assistant', parts, ...(finish ? { finish_reason: finish } : {}) }, finish };
}

function startCall(env: Services, call: ObservedCall, route: Route, operation: 'chat' | 'embeddings', request: Obj | undefined): Span {
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

function finishChat(env: Services, span: Span, call: ObservedCall, request: Obj | undefined, body: Obj, outputs: ChoiceOutput[], end = call.endTime): void {
  const id = str(body.id);
  if (id) span.setAttribute(A.responseId, id);
  const model = str(body.model) ?? str(request?.model);
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
  measure(env, 'chat', model, { ...call, endTime: end }, readUsage(body.usage), cost?.total);
}

function measure(env: Services, operation: string, model: string | undefined, call: ObservedCall, usage: { input?: number; output?: number }, costNanos: number | undefined): void {
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
