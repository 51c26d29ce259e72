import { ROOT_CONTEXT, trace, type Attributes, type Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { textMessage, instructionsParts, type GenAIMessage, type Part } from '../trace/genai-messages';
import { arr, obj, secondsToMs, str, type Obj } from '../util/json';
import type { MessageDelta } from './message-deltas';
import type { RunState, ToolCallRecord } from './run-tracker';
import { CLIENT, INTERNAL, serverAttributes, threadAttributes } from '../trace/call-attributes';
import type { Services } from '../services';
import type { ConversationStore } from '../turns/conversation-store';
import { usageAttributes } from '../cost/usage';
import { costAttributes } from '../cost/cost-model';
import { markApiError, type Markable } from '../trace/errors';

export interface RunSteps {
  steps: Obj[];
}

const FINISH: Record<string, string> = { completed: 'stop', incomplete: 'length', failed: 'error', cancelled: 'cancelled', expired: 'expired' };

/**
 * The one step-to-span mapping. Every model call of the run is a `chat {model}` span carrying that
 * step's usage (so the chat spans' usage adds up to the run's); every tool call is an
 * `execute_tool {name}` sibling. Function calls are timed by what the app did (requires_action seen →
 * outputs submitted); server-side tools by the step's whole-second API timestamps. Every child is
 * clamped into the run span's interval.
 */
export function emitStepSpans(env: Services, store: ConversationStore, st: RunState, found: RunSteps | undefined, runEnd: number): void {
  const tracer = env.tracer();
  const parent = trace.setSpan(ROOT_CONTEXT, st.span);
  const lo = st.startTime;
  const hi = Math.max(runEnd, lo);
  const clamp = (t: number | undefined, fallback: number): number => Math.min(Math.max(t ?? fallback, lo), hi);
  const model = st.model ?? 'unknown';
  const base: Attributes = { ...serverAttributes(st.client), ...threadAttributes(st.threadId), [A.runId]: st.runId };
  if (st.assistantId) base[A.agentId] = st.assistantId;
  const content = env.content;
  const history: GenAIMessage[] = st.inputHistory.map((m) => textMessage(m.role, m.text));
  const emittedCalls = new Set<string>();

  const chatSpan = (step: Obj, start: number, end: number, output: GenAIMessage, finish: string, extra: Attributes = {}, deltas: MessageDelta[] = []): void => {
    const attrs: Attributes = {
      ...base,
      ...stepAttributes(step),
      ...extra,
      [A.kind]: 'llm',
      [A.operation]: 'chat',
      [A.requestModel]: model,
      [A.responseModel]: model,
      [A.finishReasons]: [finish],
      ...usageAttributes(step.usage),
    };
    const cost = env.cost.of(model === 'unknown' ? undefined : model, step.usage);
    if (cost) Object.assign(attrs, costAttributes(cost));
    setContent(attrs, A.systemInstructions, content.capture(A.systemInstructions, st.instructions ? instructionsParts(st.instructions) : undefined));
    setContent(attrs, A.inputMessages, content.capture(A.inputMessages, history));
    setContent(attrs, A.outputMessages, content.capture(A.outputMessages, [output]));
    if (deltas.length) attrs[A.timeToFirstChunk] = (Math.max(start, deltas[0]!.at) - start) / 1000;
    const span = tracer.startSpan(`chat ${model}`, { kind: CLIENT, startTime: start, attributes: attrs }, parent);
    emitDeltas(span, deltas, start, end);
    markStepError(span, step);
    span.end(end);
    history.push(output);
  };

  // Streamed message deltas: span events on the chat span, or (messageDeltaSpans) child spans.
  const emitDeltas = (span: Span, deltas: MessageDelta[], start: number, end: number): void => {
    let previous = start;
    for (const d of deltas) {
      const at = Math.min(Math.max(d.at, start), end);
      const attrs: Attributes = { [A.deltaIndex]: d.index, [A.deltaSize]: d.size };
      const text = d.text === undefined ? undefined : content.capture(A.deltaText, d.text);
      if (text !== undefined) attrs[A.deltaText] = text;
      if (env.messageDeltaSpans) {
        tracer.startSpan('message_delta', { kind: INTERNAL, startTime: previous, attributes: { ...base, [A.kind]: 'llm_delta', ...attrs } }, trace.setSpan(ROOT_CONTEXT, span)).end(at);
      } else {
        span.addEvent('openai.message.delta', attrs, at);
      }
      previous = at;
    }
  };

  const functionSpan = (rec: ToolCallRecord | undefined, call: Obj, step: Obj | undefined, start: number, end: number): void => {
    const fn = obj(call.function);
    const id = str(call.id) ?? rec?.id ?? '';
    const name = str(fn?.name) ?? rec?.name ?? 'function';
    const output = rec?.output ?? str(fn?.output) ?? undefined;
    const attrs: Attributes = {
      ...base,
      ...(step ? stepAttributes(step) : {}),
      ...toolAttributes('function', name, id),
      'spanlens.tool.submitted': rec ? rec.submittedAt !== undefined : output !== undefined,
    };
    setContent(attrs, A.toolArguments, content.capture(A.toolArguments, str(fn?.arguments) ?? rec?.arguments));
    setContent(attrs, A.toolResult, content.capture(A.toolResult, output));
    tracer.startSpan(`execute_tool ${name}`, { kind: INTERNAL, startTime: start, attributes: attrs }, parent).end(end);
    history.push({ role: 'tool', parts: [{ type: 'tool_call_response', id, response: output ?? null }] });
  };

  const steps = found?.steps ?? [];
  const intervals = stepIntervals(steps, st, lo, hi);
  steps.forEach((step, i) => {
    const details = obj(step.step_details);
    const [start, end, timing] = intervals[i]!;
    if (timing) step = { ...step, [TIMING]: timing };
    const status = str(step.status) ?? 'completed';
    if (step.type === 'message_creation') {
      const messageId = str(obj(details?.message_creation)?.message_id);
      let text = messageId ? store.messages.peek(messageId)?.text : undefined;
      let deltas: MessageDelta[] = [];
      const extra: Attributes = {};
      if (messageId) {
        extra[A.messageId] = messageId;
        const log = st.stream?.deltas;
        const count = log?.count(messageId) ?? 0;
        if (log && count) {
          deltas = log.recorded(messageId);
          extra[A.deltaCount] = count;
          text ??= log.text(messageId);
        }
      }
      const finish = FINISH[status] ?? status;
      chatSpan(step, start, end, textMessage('assistant', text ?? '', finish), finish, extra, deltas);
      return;
    }
    if (step.type !== 'tool_calls') return;
    const calls = arr(details?.tool_calls).map(obj).filter((c): c is Obj => c !== undefined);
    const records = calls.map((c) => st.toolCalls.get(str(c.id) ?? ''));
    // The model's decision ends where the first tool starts (for function calls: requires_action seen).
    const decided = Math.min(end, ...records.map((r) => (r ? clamp(r.seenAt, start) : end)));
    const parts: Part[] = calls.map((c) => toolCallPart(c));
    // Server-side tools (code, file search) run inside the step with no visible hand-over: the model
    // call spans the step. Function calls hand over when requires_action is seen.
    chatSpan(step, start, calls.some((c) => c.type === 'function') ? Math.max(start, decided) : end, { role: 'assistant', parts, finish_reason: 'tool_calls' }, 'tool_calls');
    calls.forEach((call, i) => {
      const id = str(call.id) ?? '';
      emittedCalls.add(id);
      if (call.type === 'function') {
        const rec = records[i];
        const s = rec ? clamp(rec.seenAt, start) : start;
        functionSpan(rec, call, step, s, Math.max(s, rec?.submittedAt !== undefined ? clamp(rec.submittedAt, end) : end));
      } else if (call.type === 'code_interpreter') {
        codeSpan(call, step, start, end);
      } else if (call.type === 'file_search') {
        fileSearchSpan(call, step, start, end);
      } else {
        const type = str(call.type) ?? 'tool';
        tracer.startSpan(`execute_tool ${type}`, { kind: INTERNAL, startTime: start, attributes: { ...base, ...stepAttributes(step), ...toolAttributes(type, type, id) } }, parent).end(end);
      }
    });
  });

  // Function calls seen in requires_action but not in a steps list (steps not fetched or missing).
  for (const rec of st.toolCalls.values()) {
    if (emittedCalls.has(rec.id)) continue;
    const s = clamp(rec.seenAt, lo);
    functionSpan(rec, { id: rec.id, type: 'function', function: { name: rec.name, arguments: rec.arguments } }, undefined, s, Math.max(s, clamp(rec.submittedAt, hi)));
  }

  function codeSpan(call: Obj, step: Obj, start: number, end: number): void {
    const ci = obj(call.code_interpreter);
    const outputs = arr(ci?.outputs).map(obj);
    const logs = outputs.filter((o) => o?.type === 'logs').map((o) => str(o?.logs) ?? '').join('\n');
    const images = outputs.filter((o) => o?.type === 'image').map((o) => str(obj(o?.image)?.file_id)).filter((x): x is string => !!x);
    const attrs: Attributes = { ...base, ...stepAttributes(step), ...toolAttributes('code', 'code_interpreter', str(call.id) ?? '') };
    if (images.length) attrs[A.codeImageFileIds] = images;
    setContent(attrs, A.codeInput, content.capture(A.codeInput, str(ci?.input)));
    setContent(attrs, A.codeOutput, content.capture(A.codeOutput, logs || undefined));
    const span = tracer.startSpan('execute_tool code_interpreter', { kind: INTERNAL, startTime: start, attributes: attrs }, parent);
    markStepError(span, step);
    span.end(end);
    history.push({ role: 'tool', parts: [{ type: 'tool_call_response', id: str(call.id) ?? '', response: logs }] });
  }

  function fileSearchSpan(call: Obj, step: Obj, start: number, end: number): void {
    const fs = obj(call.file_search);
    const results = arr(fs?.results).map(obj).filter((r): r is Obj => r !== undefined);
    const assistant = st.assistantId ? store.assistants.peek(st.assistantId) : undefined;
    const stores = [...new Set([...(store.threads.peek(st.threadId)?.vectorStoreIds ?? []), ...(assistant?.vectorStoreIds ?? [])])];
    const attrs: Attributes = {
      ...base,
      ...stepAttributes(step),
      ...toolAttributes('retrieval', 'file_search', str(call.id) ?? ''),
      [A.vectorStoreIds]: stores,
      [A.resultCount]: results.length,
    };
    if (stores.length) attrs[A.dataSourceId] = stores.join(',');
    const summary = results.map((r) => ({ file_id: r.file_id, file_name: r.file_name, score: r.score, content: r.content }));
    setContent(attrs, A.retrievalResults, content.capture(A.retrievalResults, results.length ? summary : undefined));
    const span = tracer.startSpan('execute_tool file_search', { kind: INTERNAL, startTime: start, attributes: attrs }, parent);
    markStepError(span, step);
    span.end(end);
    history.push({ role: 'tool', parts: [{ type: 'tool_call_response', id: str(call.id) ?? '', response: summary.map((r) => r.file_id) }] });
  }
}

function stepAttributes(step: Obj): Attributes {
  const attrs: Attributes = {};
  const id = str(step.id);
  if (id) attrs[A.stepId] = id;
  const type = str(step.type);
  if (type) attrs[A.stepType] = type;
  const status = str(step.status);
  if (status) attrs[A.stepStatus] = status;
  const timing = str(step[TIMING]);
  if (timing) attrs[A.stepTiming] = timing;
  return attrs;
}

const TIMING = '__spanlens_timing';

/**
 * Each step's [start, end] inside the run. Streamed steps have client-clock times. Polled steps only
 * have whole API seconds: each second is taken as a range, steps run one after another, and where the
 * seconds cannot separate neighbours the overlap is split at its midpoint (marked api_seconds), so no
 * step collapses to an instant (backends flag zero durations) and the order stays visible.
 */
function stepIntervals(steps: Obj[], st: RunState, lo: number, hi: number): Array<[number, number, string | undefined]> {
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

function toolCallPart(call: Obj): Part {
  const fn = obj(call.function);
  const type = str(call.type) ?? 'tool';
  const args = fn ? str(fn.arguments) : type === 'code_interpreter' ? str(obj(call.code_interpreter)?.input) : undefined;
  return { type: 'tool_call', id: str(call.id) ?? '', name: str(fn?.name) ?? type, ...(args !== undefined ? { arguments: args } : {}) };
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
