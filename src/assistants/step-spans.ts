import { ROOT_CONTEXT, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { finishReason, instructionsParts, serverToolCallPart, serverToolResponsePart, textMessage, toolCallPart, toolResponsePart, type GenAIMessage, type Part } from '../trace/genai-messages';
import { arr, obj, secondsToMs, str, type Obj } from '../util/json';
import type { MessageDelta } from './message-deltas';
import type { RunState, ToolCallRecord } from './run-tracker';
import { INTERNAL, serverAttributes, threadAttributes } from '../trace/call-attributes';
import type { Services } from '../services';
import type { ContentPolicy } from '../trace/content';
import type { ConversationStore } from '../turns/conversation-store';
import { usageAttributes } from '../cost/usage';
import { costAttributes } from '../cost/cost-model';
import { markApiError, type Markable } from '../trace/errors';
import { RUN_STATUSES } from './run-statuses';

export interface RunSteps {
  steps: Obj[];
}

/**
 * The one step-to-span mapping. Every model call of the run is a `chat {model}` span carrying that
 * step's usage (so the chat spans' usage adds up to the run's); every tool call is an
 * `execute_tool {name}` sibling. Function calls are timed by what the app did (requires_action seen →
 * outputs submitted); server-side tools by the step's whole-second API timestamps. Every child is
 * clamped into the run span's interval.
 */
export function emitStepSpans(env: Services, store: ConversationStore, st: RunState, found: RunSteps | undefined, runEnd: number): void {
  const run = new RunEmission(env, store, st, runEnd);
  const steps = found?.steps ?? [];
  const intervals = stepIntervals(steps, st, run.lo, run.hi);
  for (let i = 0; i < steps.length; i++) run.step(steps[i]!, intervals[i]!);
  run.unlistedFunctionCalls();
}

/** A step as its spans see it: the API's step object (never written to) and its span attributes. */
interface StepView {
  step: Obj;
  attrs: Attributes;
}

/**
 * One run's emission: what every child span shares (parent, interval, base attributes) and the
 * conversation so far, which each chat span takes as input and extends with its output.
 */
class RunEmission {
  readonly lo: number;
  readonly hi: number;
  private readonly tracer: Tracer;
  private readonly parent: Context;
  private readonly model: string;
  private readonly base: Attributes;
  private readonly content: ContentPolicy;
  private readonly history: GenAIMessage[];
  /** Tool call ids a steps list showed, so requires_action calls are not emitted twice. */
  private readonly emittedCalls = new Set<string>();

  constructor(
    private readonly env: Services,
    private readonly store: ConversationStore,
    private readonly st: RunState,
    runEnd: number,
  ) {
    this.tracer = env.tracer();
    this.parent = trace.setSpan(ROOT_CONTEXT, st.span);
    this.lo = st.startTime;
    this.hi = Math.max(runEnd, this.lo);
    this.model = st.model ?? 'unknown';
    this.base = { ...serverAttributes(st.client), ...threadAttributes(st.threadId), [A.runId]: st.runId };
    if (st.assistantId) this.base[A.agentId] = st.assistantId;
    this.content = env.content;
    this.history = st.inputHistory.map((m) => textMessage(m.role, m.text));
  }

  private clamp(t: number | undefined, fallback: number): number {
    return Math.min(Math.max(t ?? fallback, this.lo), this.hi);
  }

  step(step: Obj, [start, end, timing]: StepInterval): void {
    const view: StepView = { step, attrs: stepAttributes(step, timing) };
    if (step.type === 'message_creation') this.messageStep(view, start, end);
    else if (step.type === 'tool_calls') this.toolCallsStep(view, start, end);
  }

  /** A message the model wrote: one chat span, its streamed deltas as events or child spans. */
  private messageStep(view: StepView, start: number, end: number): void {
    const messageId = str(obj(obj(view.step.step_details)?.message_creation)?.message_id);
    let text = messageId ? this.store.messages.peek(messageId)?.text : undefined;
    let deltas: MessageDelta[] = [];
    const extra: Attributes = {};
    if (messageId) {
      extra[A.messageId] = messageId;
      const log = this.st.stream?.deltas;
      const count = log?.count(messageId) ?? 0;
      if (log && count) {
        deltas = log.recorded(messageId);
        extra[A.deltaCount] = count;
        text ??= log.text(messageId);
        // Time to first chunk counts from the request whose stream brought the message (the run's create
        // or a submit), not from the step.
        const from = this.st.stream?.requestStarts.get(messageId);
        if (deltas.length && from !== undefined) extra[A.timeToFirstChunk] = Math.max(0, deltas[0]!.at - from) / 1000;
      }
    }
    const status = str(view.step.status) ?? 'completed';
    const finish = RUN_STATUSES.finishReason(status);
    this.chatSpan(view, start, end, textMessage('assistant', text ?? '', finishReason(finish)), finish, extra, deltas);
  }

  /** The model deciding on tool calls (a chat span), then one span per call. */
  private toolCallsStep(view: StepView, start: number, end: number): void {
    const calls = arr(obj(view.step.step_details)?.tool_calls)
      .map(obj)
      .filter((c): c is Obj => c !== undefined);
    const records = calls.map((c) => this.st.toolCalls.get(str(c.id) ?? ''));
    // The model's decision ends where the first tool starts (for function calls: requires_action seen).
    const decided = Math.min(end, ...records.map((r) => (r ? this.clamp(r.seenAt, start) : end)));
    const parts: Part[] = calls.map(stepToolCallPart);
    // Server-side tools (code, file search) run inside the step with no visible hand-over: the model
    // call spans the step. Function calls hand over when requires_action is seen.
    const decisionEnd = calls.some((c) => c.type === 'function') ? Math.max(start, decided) : end;
    this.chatSpan(view, start, decisionEnd, { role: 'assistant', parts, finish_reason: finishReason('tool_calls') }, 'tool_calls');
    for (let i = 0; i < calls.length; i++) this.toolCallSpan(calls[i]!, records[i], view, start, end);
  }

  private toolCallSpan(call: Obj, rec: ToolCallRecord | undefined, view: StepView, start: number, end: number): void {
    const id = str(call.id) ?? '';
    this.emittedCalls.add(id);
    if (call.type === 'function') {
      const s = rec ? this.clamp(rec.seenAt, start) : start;
      this.functionSpan(rec, call, view, s, Math.max(s, rec?.submittedAt !== undefined ? this.clamp(rec.submittedAt, end) : end));
    } else if (call.type === 'code_interpreter') {
      this.codeSpan(call, view, start, end);
    } else if (call.type === 'file_search') {
      this.fileSearchSpan(call, view, start, end);
    } else {
      const type = str(call.type) ?? 'tool';
      const attributes = { ...this.base, ...view.attrs, ...toolAttributes(type, type, id) };
      this.tracer.startSpan(`execute_tool ${type}`, { kind: INTERNAL, startTime: start, attributes }, this.parent).end(end);
    }
  }

  /** Function calls seen in requires_action but not in a steps list (steps not fetched or missing). */
  unlistedFunctionCalls(): void {
    for (const rec of this.st.toolCalls.values()) {
      if (this.emittedCalls.has(rec.id)) continue;
      const s = this.clamp(rec.seenAt, this.lo);
      const call: Obj = { id: rec.id, type: 'function', function: { name: rec.name, arguments: rec.arguments } };
      this.functionSpan(rec, call, undefined, s, Math.max(s, this.clamp(rec.submittedAt, this.hi)));
    }
  }

  private chatSpan(view: StepView, start: number, end: number, output: GenAIMessage, finish: string, extra: Attributes = {}, deltas: MessageDelta[] = []): void {
    const { step } = view;
    const model = this.model;
    const attrs: Attributes = {
      ...this.base,
      ...view.attrs,
      ...extra,
      [A.kind]: 'llm',
      [A.requestModel]: model,
      [A.responseModel]: model,
      [A.finishReasons]: [finish],
      ...usageAttributes(step.usage),
    };
    const cost = this.env.cost.of(model === 'unknown' ? undefined : model, step.usage);
    if (cost) Object.assign(attrs, costAttributes(cost));
    const content = this.content;
    const instructions = this.st.instructions;
    setContent(attrs, A.systemInstructions, content.capture(A.systemInstructions, instructions ? instructionsParts(instructions) : undefined));
    setContent(attrs, A.inputMessages, content.capture(A.inputMessages, this.history));
    setContent(attrs, A.outputMessages, content.capture(A.outputMessages, [output]));
    // The server's model call inside the run, with its own usage but no request of ours: INTERNAL and no
    // gen_ai.operation.name, so it does not pose as a client inference (the run's span is the operation).
    const span = this.tracer.startSpan(`chat ${model}`, { kind: INTERNAL, startTime: start, attributes: attrs }, this.parent);
    this.emitDeltas(span, deltas, start, end);
    markStepError(span, step);
    span.end(end);
    this.history.push(output);
  }

  /** Streamed message deltas: span events on the chat span, or (messageDeltaSpans) child spans. */
  private emitDeltas(span: Span, deltas: MessageDelta[], start: number, end: number): void {
    let previous = start;
    for (const d of deltas) {
      const at = Math.min(Math.max(d.at, start), end);
      const attrs: Attributes = { [A.deltaIndex]: d.index, [A.deltaSize]: d.size };
      const text = d.text === undefined ? undefined : this.content.capture(A.deltaText, d.text);
      if (text !== undefined) attrs[A.deltaText] = text;
      if (this.env.messageDeltaSpans) {
        const attributes = { ...this.base, [A.kind]: 'llm_delta', ...attrs };
        this.tracer.startSpan('message_delta', { kind: INTERNAL, startTime: previous, attributes }, trace.setSpan(ROOT_CONTEXT, span)).end(at);
      } else {
        span.addEvent('openai.message.delta', attrs, at);
      }
      previous = at;
    }
  }

  private functionSpan(rec: ToolCallRecord | undefined, call: Obj, view: StepView | undefined, start: number, end: number): void {
    const fn = obj(call.function);
    const id = str(call.id) ?? rec?.id ?? '';
    const name = str(fn?.name) ?? rec?.name ?? 'function';
    const output = rec?.output ?? str(fn?.output) ?? undefined;
    const attrs: Attributes = {
      ...this.base,
      ...view?.attrs,
      ...toolAttributes('function', name, id),
      [A.toolSubmitted]: rec ? rec.submittedAt !== undefined : output !== undefined,
    };
    setContent(attrs, A.toolArguments, this.content.capture(A.toolArguments, str(fn?.arguments) ?? rec?.arguments));
    setContent(attrs, A.toolResult, this.content.capture(A.toolResult, output));
    this.tracer.startSpan(`execute_tool ${name}`, { kind: INTERNAL, startTime: start, attributes: attrs }, this.parent).end(end);
    this.history.push({ role: 'tool', parts: [toolResponsePart(id, output)] });
  }

  private codeSpan(call: Obj, view: StepView, start: number, end: number): void {
    const ci = obj(call.code_interpreter);
    const outputs = arr(ci?.outputs).map(obj);
    const logs = outputs
      .filter((o) => o?.type === 'logs')
      .map((o) => str(o?.logs) ?? '')
      .join('\n');
    const images = outputs
      .filter((o) => o?.type === 'image')
      .map((o) => str(obj(o?.image)?.file_id))
      .filter((x): x is string => !!x);
    const attrs: Attributes = { ...this.base, ...view.attrs, ...toolAttributes('code', 'code_interpreter', str(call.id) ?? '') };
    if (images.length) attrs[A.codeImageFileIds] = images;
    setContent(attrs, A.codeInput, this.content.capture(A.codeInput, str(ci?.input)));
    setContent(attrs, A.codeOutput, this.content.capture(A.codeOutput, logs || undefined));
    const span = this.tracer.startSpan('execute_tool code_interpreter', { kind: INTERNAL, startTime: start, attributes: attrs }, this.parent);
    markStepError(span, view.step);
    span.end(end);
    const result = { logs, ...(images.length ? { image_file_ids: images } : {}) };
    this.history.push({ role: 'tool', parts: [serverToolResponsePart(str(call.id) ?? '', 'code_interpreter', result)] });
  }

  private fileSearchSpan(call: Obj, view: StepView, start: number, end: number): void {
    const fs = obj(call.file_search);
    const results = arr(fs?.results)
      .map(obj)
      .filter((r): r is Obj => r !== undefined);
    const stores = this.vectorStoreIds();
    const attrs: Attributes = {
      ...this.base,
      ...view.attrs,
      ...toolAttributes('retrieval', 'file_search', str(call.id) ?? ''),
      [A.vectorStoreIds]: stores,
      [A.resultCount]: results.length,
    };
    if (stores.length) attrs[A.dataSourceId] = stores.join(',');
    const summary = results.map((r) => ({ file_id: r.file_id, file_name: r.file_name, score: r.score, content: r.content }));
    setContent(attrs, A.retrievalResults, this.content.capture(A.retrievalResults, results.length ? summary : undefined));
    const span = this.tracer.startSpan('execute_tool file_search', { kind: INTERNAL, startTime: start, attributes: attrs }, this.parent);
    markStepError(span, view.step);
    span.end(end);
    this.history.push({ role: 'tool', parts: [serverToolResponsePart(str(call.id) ?? '', 'file_search', { file_ids: summary.map((r) => r.file_id) })] });
  }

  /** The vector stores file_search could read: the thread's and the assistant's, each once. */
  private vectorStoreIds(): string[] {
    const st = this.st;
    const assistant = st.assistantId ? this.store.assistants.peek(st.assistantId) : undefined;
    return [...new Set([...(this.store.threads.peek(st.threadId)?.vectorStoreIds ?? []), ...(assistant?.vectorStoreIds ?? [])])];
  }
}

/** A step's identity on its spans; `timing` says how its interval was found (see stepIntervals). */
function stepAttributes(step: Obj, timing: string | undefined): Attributes {
  const attrs: Attributes = {};
  const id = str(step.id);
  if (id) attrs[A.stepId] = id;
  const type = str(step.type);
  if (type) attrs[A.stepType] = type;
  const status = str(step.status);
  if (status) attrs[A.stepStatus] = status;
  if (timing) attrs[A.stepTiming] = timing;
  return attrs;
}

/** A step's [start, end] in the run and, when estimated from API seconds, `api_seconds`. */
type StepInterval = [start: number, end: number, timing: string | undefined];

/**
 * Each step's [start, end] inside the run. Streamed steps have client-clock times. Polled steps only
 * have whole API seconds: each second is taken as a range, steps run one after another, and where the
 * seconds cannot separate neighbours the overlap is split at its midpoint (marked api_seconds), so no
 * step collapses to an instant (backends flag zero durations) and the order stays visible.
 */
function stepIntervals(steps: Obj[], st: RunState, lo: number, hi: number): StepInterval[] {
  const clamp = (t: number) => Math.min(Math.max(t, lo), hi);
  const raw = steps.map((step): [number, number, boolean] => {
    const seen = st.stream?.stepTimes.get(str(step.id) ?? '');
    const apiStart = secondsToMs(step.created_at);
    const apiEnd = stepEnd(step);
    const start = clamp(seen?.start ?? apiStart ?? lo);
    const end = clamp(seen?.end ?? (apiEnd === undefined ? hi : apiEnd + 999));
    return [start, Math.max(start, end), seen?.start === undefined || seen?.end === undefined];
  });
  for (let i = 0; i + 1 < raw.length; i++) {
    const a = raw[i]!;
    const b = raw[i + 1]!;
    if (!a[2] && !b[2]) continue;
    if (b[0] < a[1]) {
      const mid = (Math.max(a[0], b[0]) + Math.min(a[1], b[1])) / 2;
      if (a[2]) a[1] = Math.max(a[0], mid);
      if (b[2]) b[0] = Math.min(Math.max(a[1], mid), b[1]);
    }
  }
  return raw.map(([start, end, estimated]) => [start, end, estimated ? 'api_seconds' : undefined]);
}

function toolAttributes(subtype: string, name: string, id: string): Attributes {
  return {
    [A.kind]: 'tool',
    [A.subtype]: subtype,
    [A.operation]: 'execute_tool',
    [A.toolName]: name,
    [A.toolType]: subtype === 'function' ? 'function' : 'extension',
    [A.toolCallId]: id,
  };
}

/** A step's tool call as a message part: the app's functions are tool calls, the rest ran on OpenAI's side. */
function stepToolCallPart(call: Obj): Part {
  const fn = obj(call.function);
  const type = str(call.type) ?? 'tool';
  const id = str(call.id) ?? '';
  if (type === 'function') return toolCallPart(id, str(fn?.name) ?? 'function', str(fn?.arguments));
  if (type === 'code_interpreter') {
    const code = str(obj(call.code_interpreter)?.input);
    return serverToolCallPart(id, type, code !== undefined ? { code } : {});
  }
  return serverToolCallPart(id, type);
}

function stepEnd(step: Obj): number | undefined {
  return secondsToMs(step.completed_at) ?? secondsToMs(step.failed_at) ?? secondsToMs(step.cancelled_at) ?? secondsToMs(step.expired_at);
}

function markStepError(span: Markable, step: Obj): void {
  if (step.status !== 'failed' && step.status !== 'expired') return;
  markApiError(span, step.last_error, String(step.status), `step ${String(step.status)}`);
}

function setContent(attrs: Attributes, key: string, value: string | undefined): void {
  if (value !== undefined) attrs[key] = value;
}
