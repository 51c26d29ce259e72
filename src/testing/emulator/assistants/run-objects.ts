import { badRequest } from '../engine/errors';
import { tokenPieces } from '../engine/generate';
import { clone, type Stage } from '../engine/stage';
import { nowSeconds, type Store } from '../engine/store';
import type { Entities } from '../engine/entities';
import type { AssistantTool, MessageContent, Metadata, RequiredToolCall, StreamEventName, TextAnnotation, ToolCall, ToolResources, WireMessage, WireRun, WireStep } from '../engine/types';

// What the run state machine (run-machine.ts) works with, and the pure builders of the objects and
// deltas it logs: new steps and messages, a tool call's step deltas, a text's message deltas.

export interface Transition {
  event: StreamEventName;
  data: unknown;
}

export interface EngineContext {
  store: Store;
  entities: Entities;
  seed: number;
  pollsPerStatus: number;
}

/** Run fields a create / createAndRun request may set (already validated). */
export interface RunParams {
  model?: string | null;
  instructions?: string | null;
  additional_instructions?: string | null;
  tools?: AssistantTool[];
  tool_resources?: ToolResources;
  metadata?: Metadata;
  temperature?: number | null;
  top_p?: number | null;
  max_completion_tokens?: number | null;
  max_prompt_tokens?: number | null;
  truncation_strategy?: WireRun['truncation_strategy'];
  response_format?: WireRun['response_format'];
  tool_choice?: WireRun['tool_choice'];
  parallel_tool_calls?: boolean;
  reasoning_effort?: string | null;
}

export interface ToolOutput {
  tool_call_id: string;
  output: string;
}

/** What a script wants to happen once tool outputs arrive. */
export type AfterOutputs = (results: ReadonlyArray<{ call: RequiredToolCall; output: string }>) => Stage[];

export const RUN_TTL_SECONDS = 600;
export const SERVER_ERROR = { code: 'server_error' as const, message: 'Sorry, something went wrong.' };

/** A new in-progress step of the run. */
export function newStepObject(run: WireRun, id: string, expiresAt: number, type: WireStep['type'], details: WireStep['step_details']): WireStep {
  return {
    id,
    object: 'thread.run.step',
    created_at: nowSeconds(),
    run_id: run.id,
    assistant_id: run.assistant_id,
    thread_id: run.thread_id,
    type,
    status: 'in_progress',
    cancelled_at: null,
    completed_at: null,
    expires_at: expiresAt,
    expired_at: null,
    failed_at: null,
    last_error: null,
    step_details: details,
    usage: null,
    metadata: null,
  };
}

/** A new, empty, in-progress assistant message of the run. */
export function newRunMessage(run: WireRun, id: string): WireMessage {
  return {
    id,
    object: 'thread.message',
    created_at: nowSeconds(),
    assistant_id: run.assistant_id,
    thread_id: run.thread_id,
    run_id: run.id,
    status: 'in_progress',
    incomplete_details: null,
    incomplete_at: null,
    completed_at: null,
    role: 'assistant',
    content: [],
    attachments: [],
    metadata: {},
  };
}

/** A `thread.run.step.delta` payload carrying one tool call change. */
export function stepDeltaData(stepId: string, toolCall: Record<string, unknown>): unknown {
  return {
    id: stepId,
    object: 'thread.run.step.delta',
    delta: { step_details: { type: 'tool_calls', tool_calls: [toolCall] } },
  };
}

/**
 * The tool call changes that add `call` at `index`, the way the real stream sends them: a first delta
 * with the id and empty fields, then the code input / function arguments a token or so at a time
 * (recorded for code_interpreter). A file_search delta carries `file_search: {}` only (the SDK documents
 * it as always empty); the results are in the step snapshots.
 */
export function toolCallDeltas(index: number, call: ToolCall): Array<Record<string, unknown>> {
  if (call.type === 'function') {
    const out: Array<Record<string, unknown>> = [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '', output: null } }];
    for (const piece of tokenPieces(call.function.arguments)) out.push({ index, type: 'function', function: { arguments: piece } });
    return out;
  }
  if (call.type === 'code_interpreter') {
    const out: Array<Record<string, unknown>> = [{ index, id: call.id, type: 'code_interpreter', code_interpreter: { input: '', outputs: [] } }];
    for (const piece of tokenPieces(call.code_interpreter.input)) out.push({ index, type: 'code_interpreter', code_interpreter: { input: piece } });
    return out;
  }
  return [{ index, id: call.id, type: 'file_search', file_search: {} }];
}

/**
 * The `thread.message.delta` payloads that write `value`: a few words each; a citation marker comes in
 * its own delta with its annotation (so every text delta has a `value`), the first delta carries
 * `annotations: []` as recorded, and extra content parts (images) follow as deltas of their own index.
 */
export function messageDeltas(messageId: string, value: string, annotations: readonly TextAnnotation[], extra: readonly MessageContent[]): unknown[] {
  const pieces: Array<{ value: string; annotations?: unknown[] }> = [];
  const words = (text: string) => {
    const list = text.split(/(?<=\s)/);
    for (let i = 0; i < list.length; i += 4) pieces.push({ value: list.slice(i, i + 4).join('') });
  };
  let pos = 0;
  const sorted = annotations.map((a, index) => ({ a, index })).sort((x, y) => x.a.start_index - y.a.start_index);
  for (const { a, index } of sorted) {
    if (a.start_index > pos) words(value.slice(pos, a.start_index));
    pieces.push({ value: value.slice(a.start_index, a.end_index), annotations: [{ index, ...clone(a) }] });
    pos = a.end_index;
  }
  if (pos < value.length || pieces.length === 0) words(value.slice(pos));
  const deltas: unknown[] = pieces.map((piece, i) => {
    const text = i === 0 && !piece.annotations ? { value: piece.value, annotations: [] } : piece;
    return { id: messageId, object: 'thread.message.delta', delta: { content: [{ index: 0, type: 'text', text }] } };
  });
  extra.forEach((part, j) => deltas.push({ id: messageId, object: 'thread.message.delta', delta: { content: [{ index: j + 1, ...clone(part) }] } }));
  return deltas;
}

export type ToolResult = { call: RequiredToolCall; output: string };

/** Pairs each pending call with its output; a 400 unless the outputs answer exactly the pending calls. */
export function matchToolOutputs(calls: readonly RequiredToolCall[], outputs: readonly ToolOutput[]): ToolResult[] {
  const expected = calls.map((c) => c.id);
  const got = outputs.map((o) => o.tool_call_id);
  const sameSet = got.length === expected.length && new Set(got).size === got.length && got.every((id) => expected.includes(id));
  if (!sameSet) {
    const fmt = (ids: string[]) => `[${ids.map((id) => `'${id}'`).join(', ')}]`;
    throw badRequest(`Expected tool outputs for call_ids ${fmt(expected)}, got ${fmt(got)}`, 'tool_outputs');
  }
  return calls.map((call) => ({ call, output: outputs.find((o) => o.tool_call_id === call.id)?.output ?? '' }));
}

/** Puts the submitted outputs into the step's function calls. */
export function writeToolOutputs(step: WireStep, results: readonly ToolResult[]): void {
  if (step.step_details.type !== 'tool_calls') return;
  for (const tc of step.step_details.tool_calls) {
    if (tc.type !== 'function') continue;
    const r = results.find((x) => x.call.id === tc.id);
    if (r) tc.function.output = r.output;
  }
}

/** Sets a step's ending status and the timestamp (and error) that goes with it. */
export function stampStepEnd(step: WireStep, status: 'completed' | 'failed' | 'cancelled' | 'expired', now: number): void {
  step.status = status;
  if (status === 'completed') step.completed_at = now;
  else if (status === 'failed') {
    step.failed_at = now;
    step.last_error = { ...SERVER_ERROR };
  } else if (status === 'cancelled') step.cancelled_at = now;
  else step.expired_at = now;
}
