import type { Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { arr, num, obj, str, type Obj } from '../util/json';
import type { ObservedCall } from '../calls/observed-call';
import type { Route } from '../calls/routes';
import { apiErrorType, markError, thrownErrorType } from '../trace/errors';
import type { Services } from '../services';
import type { SSEEvent } from '../streams/sse';
import { appOutcome, type StreamOutcome, type StreamSink } from '../streams/stream-tap';
import { choiceOutput, finishChat } from './chat-span';
import { callKey, startGenAISpan } from './genai-call';
import { chunkTimer, type ChunkTimer } from '../cost/metrics';

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
  private timer?: ChunkTimer;
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
    this.span = startGenAISpan(env, call, route, 'chat', this.request);
    // A stream the SDK opened without `stream: true` in the body (a helper) still is one.
    this.span.setAttribute(A.requestStream, true);
  }

  /** An output chunk (text or tool call piece): the first is timed on the span, each one on the metrics. */
  private outputChunk(at: number): void {
    if (this.firstAt === undefined) {
      this.firstAt = at;
      this.timer = chunkTimer(this.env.metrics(), callKey('chat', this.call, this.model), this.call.startTime);
    }
    this.timer?.chunk(at);
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
      const tools = arr(delta?.tool_calls);
      if (text || tools.length) this.outputChunk(at);
      if (text) {
        if (keep && choice.text.length < this.env.content.maxLength) choice.text += text;
      }
      for (const t of tools) {
        const tc = obj(t);
        const i = num(tc?.index) ?? choice.tools.size;
        const fn = obj(tc?.function);
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
    const failed = this.errorChunk !== undefined || this.malformed !== undefined;
    [outcome, error] = appOutcome(outcome, error, this.errorChunk !== undefined, this.malformed);
    // Seen through the SDK's Stream, `[DONE]` is not: a clean end is complete when every choice finished.
    if (outcome === 'done' && !this.done && !(this.choices.size > 0 && [...this.choices.values()].every((c) => c.finish))) outcome = 'truncated';
    const ended = failed || (!this.done && outcome !== 'done');
    // An error chunk is the API's word on the failure; without one the thrown error says what broke.
    const errorType = ended && outcome === 'error' ? (this.errorChunk ? apiErrorType(this.errorChunk, 'stream_error') : error === undefined ? 'stream_error' : thrownErrorType(error)) : undefined;
    const body: Obj = { id: this.id, model: this.model, usage: this.usage, system_fingerprint: this.fingerprint, service_tier: this.tier };
    // A choice the stream never finished says how the stream ended instead (error, aborted, truncated).
    const noFinish = outcome === 'done' ? undefined : outcome;
    const outputs = [...this.choices.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, c]) =>
        choiceOutput(
          { finish_reason: c.finish },
          { role: 'assistant', content: c.text, tool_calls: [...c.tools.values()].map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } })) },
          noFinish,
        ),
      );
    finishChat(this.env, span, this.call, this.request, body, outputs, at, errorType);
    if (ended) {
      span.setAttribute(A.streamEndReason, outcome);
      if (errorType) markError(span, errorType, str(this.errorChunk?.message) ?? str((error as { message?: unknown } | null)?.message) ?? 'stream failed');
    }
    span.end(at);
  }
}
