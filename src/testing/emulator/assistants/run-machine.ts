import { badRequest } from '../engine/errors';
import { lastUserText, truncateToTokens } from '../engine/generate';
import type { EmulatorScript } from '../options';
import { clone, StageQueue, type Stage } from '../engine/stage';
import { isTerminal, nowSeconds, type ThreadRecord } from '../engine/store';
import type { MessageContent, RequiredToolCall, RunStatus, StreamEventName, TextAnnotation, ToolCall, WireAssistant, WireMessage, WireRun, WireStep } from '../engine/types';
import { makeUsage, promptTokens, sumUsage, tokens } from '../engine/usage';
import {
  matchToolOutputs,
  messageDeltas,
  newRunMessage,
  newStepObject,
  RUN_TTL_SECONDS,
  SERVER_ERROR,
  stampStepEnd,
  stepDeltaData,
  toolCallDeltas,
  writeToolOutputs,
  type AfterOutputs,
  type EngineContext,
  type ToolOutput,
  type Transition,
} from './run-objects';

// The run state machine. A script (scripts.ts) is a list of stages; each stage mutates the run, its
// steps and its messages and logs every change as a transition named like the Assistants SSE event it
// corresponds to (thread.run.in_progress, thread.run.step.created, thread.message.delta, …), with a
// snapshot of the object. Polling runs one stage per `pollsPerStatus` retrieves; a streamed request runs
// the stages itself (step()) and writes the logged transitions as SSE events in the same order.

export class RunMachine {
  readonly transitions: Transition[] = [];
  private readonly stages = new StageQueue();
  private waiting: 'tool_outputs' | 'cancel' | null = null;
  private afterOutputs: AfterOutputs | null = null;
  private pendingCalls: RequiredToolCall[] = [];
  private pendingStep: WireStep | null = null;
  /** Tool calls and outputs produced so far: they are part of the prompt of later steps. */
  readonly scratch: string[] = [];
  private readonly stepPrompt = new Map<string, number>();
  private readonly stepCached = new Map<string, number>();
  /** Prompt tokens an earlier run of the thread has already sent (null: first run, nothing cached). */
  private readonly cachePrefix: number | null;
  private completionUsed = 0;
  private promptOverflow = false;
  private readonly expiresAt: number;
  currentMessage: WireMessage | null = null;
  currentStep: WireStep | null = null;
  /**
   * The SSE response that currently runs the stages (polls then only look: the stream drives the run).
   * A token, not a flag: a submit stream can take over while the previous stream is still closing, and
   * only the current owner may release the run.
   */
  streamOwner: object | null = null;

  get streaming(): boolean {
    return this.streamOwner !== null;
  }
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly ctx: EngineContext,
    readonly run: WireRun,
    readonly thread: ThreadRecord,
    readonly assistant: WireAssistant,
    readonly script: EmulatorScript,
    readonly include: readonly string[],
    hadPreviousRun: boolean,
    threadCreated: boolean,
  ) {
    this.expiresAt = run.expires_at ?? run.created_at + RUN_TTL_SECONDS;
    const prefix = promptTokens({ instructions: run.instructions, tools: run.tools, messages: thread.messages, scratch: [] });
    this.cachePrefix = hadPreviousRun ? Math.floor(prefix / 16) * 16 : null;
    if (threadCreated) this.log('thread.created', clone(thread.thread));
    this.log('thread.run.created', clone(run));
    this.log('thread.run.queued', clone(run));
  }

  /** Sets the script's stages (built by `scripts.ts`, which drives this machine). */
  load(stages: Stage[]): void {
    this.stages.load(stages);
  }

  // ---- driving -----------------------------------------------------------------------------------

  get status(): RunStatus {
    return this.run.status;
  }

  /** A GET retrieve: shows the current stage `pollsPerStatus` times, then runs the next one. */
  poll(): void {
    if (isTerminal(this.run.status) || this.waiting === 'cancel' || this.streaming) return;
    if (this.waiting === 'tool_outputs') {
      if (this.script === 'expired' && this.stages.seenEnough(this.ctx.pollsPerStatus)) this.expire();
      return;
    }
    this.stages.poll(this.ctx.pollsPerStatus, () => this.drain());
  }

  /** Runs stages until the run waits (tool outputs, a cancel) or ends; returns the new transitions. */
  drain(): Transition[] {
    const from = this.transitions.length;
    while (!isTerminal(this.run.status) && this.waiting === null && !this.stages.empty) this.stages.advance();
    return this.transitions.slice(from);
  }

  /** Runs the next stage unless the run waits or has ended; false when there was nothing to run. */
  step(): boolean {
    if (isTerminal(this.run.status) || this.waiting !== null || this.stages.empty) return false;
    this.stages.advance();
    return true;
  }

  /** The `cancel` script parks the run until a cancel request arrives. */
  get awaitingCancel(): boolean {
    return this.waiting === 'cancel';
  }

  /** `fn` runs after a request changed the run from outside (a cancel), so an open stream can go on. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of [...this.listeners]) fn();
  }

  submitToolOutputs(outputs: readonly ToolOutput[]): void {
    if (this.run.status !== 'requires_action' || this.waiting !== 'tool_outputs' || !this.pendingStep) {
      throw badRequest(`Runs in status "${this.run.status}" do not accept tool outputs.`);
    }
    const step = this.pendingStep;
    const results = matchToolOutputs(this.pendingCalls, outputs);
    writeToolOutputs(step, results);
    let completion = 0;
    for (const r of results) {
      completion += 3 + tokens(r.call.function.name) + tokens(r.call.function.arguments);
      this.scratch.push(`${r.call.function.name}(${r.call.function.arguments})`, r.output);
    }
    this.finishStep(step, 'completed', completion);
    const next = this.afterOutputs ? this.afterOutputs(results) : [];
    this.pendingCalls = [];
    this.pendingStep = null;
    this.afterOutputs = null;
    this.waiting = null;
    this.run.required_action = null;
    this.setStatus('queued');
    this.stages.load(next);
  }

  cancel(): void {
    if (isTerminal(this.run.status) || this.run.status === 'cancelling') {
      throw badRequest(`Cannot cancel run with status '${this.run.status}'.`);
    }
    this.waiting = null;
    this.pendingCalls = [];
    this.pendingStep = null;
    this.afterOutputs = null;
    this.run.required_action = null;
    this.setStatus('cancelling');
    this.stages.load([() => this.cancelled()]);
    this.changed();
  }

  // ---- primitives used by the scripts ------------------------------------------------------------

  get seed(): number {
    return this.ctx.seed;
  }

  /** The text of the last user message of the thread. */
  get question(): string {
    return lastUserText(this.thread.messages);
  }

  newId(kind: 'call' | 'file'): string {
    return this.ctx.store.newId(kind);
  }

  log(event: StreamEventName, data: unknown): void {
    this.transitions.push({ event, data });
  }

  setStatus(status: RunStatus): void {
    this.run.status = status;
    if (status === 'in_progress') this.run.started_at = nowSeconds();
    this.log(`thread.run.${status}` as StreamEventName, clone(this.run));
  }

  /** Prompt tokens of a step starting now; remembers the cached share for the run's usage. */
  private promptForStep(stepId: string): number {
    let prompt = promptTokens({
      instructions: this.run.instructions,
      tools: this.run.tools,
      messages: this.thread.messages.filter((m) => m.status !== 'in_progress'),
      scratch: this.scratch,
    });
    const max = this.run.max_prompt_tokens;
    if (max !== null && prompt > max) {
      this.promptOverflow = true;
      prompt = max;
    }
    this.stepPrompt.set(stepId, prompt);
    if (this.cachePrefix !== null) this.stepCached.set(stepId, Math.min(prompt, this.cachePrefix));
    return prompt;
  }

  private newStep(type: WireStep['type'], details: WireStep['step_details']): WireStep {
    const step = newStepObject(this.run, this.ctx.store.newId('step'), this.expiresAt, type, details);
    this.promptForStep(step.id);
    this.ctx.store.runSteps(this.run.id).push(step);
    this.log('thread.run.step.created', clone(step));
    this.log('thread.run.step.in_progress', clone(step));
    return step;
  }

  createToolStep(): WireStep {
    const step = this.newStep('tool_calls', { type: 'tool_calls', tool_calls: [] });
    this.currentStep = step;
    return step;
  }

  /** Adds tool calls to a tool_calls step, logged as step deltas the way the real stream sends them. */
  addToolCalls(step: WireStep, calls: ToolCall[]): void {
    if (step.step_details.type !== 'tool_calls') return;
    const list = step.step_details.tool_calls;
    for (const call of calls) {
      const index = list.length;
      list.push(call);
      for (const delta of toolCallDeltas(index, call)) this.log('thread.run.step.delta', stepDeltaData(step.id, delta));
    }
  }

  /** Logs a change of a tool call already in the step (e.g. code interpreter outputs). */
  toolCallDelta(step: WireStep, index: number, delta: Record<string, unknown>): void {
    this.log('thread.run.step.delta', stepDeltaData(step.id, { index, ...delta }));
  }

  finishStep(step: WireStep, status: 'completed' | 'failed' | 'cancelled' | 'expired', completion = 0): void {
    stampStepEnd(step, status, nowSeconds());
    if (status === 'completed') {
      this.completionUsed += completion;
      step.usage = makeUsage(this.stepPrompt.get(step.id) ?? 0, completion, this.stepCached.get(step.id) ?? 0);
    }
    this.log(`thread.run.step.${status}` as StreamEventName, clone(step));
  }

  /** Stops at requires_action with the given function calls; `after` builds the stages that follow. */
  requireAction(step: WireStep, calls: RequiredToolCall[], after: AfterOutputs): void {
    this.pendingStep = step;
    this.pendingCalls = calls;
    this.afterOutputs = after;
    this.waiting = 'tool_outputs';
    this.run.required_action = { type: 'submit_tool_outputs', submit_tool_outputs: { tool_calls: clone(calls) } };
    this.setStatus('requires_action');
  }

  /** Starts a message_creation step with an empty in-progress assistant message. */
  beginMessage(): void {
    const messageId = this.ctx.store.newId('msg');
    const step = this.newStep('message_creation', { type: 'message_creation', message_creation: { message_id: messageId } });
    const message = newRunMessage(this.run, messageId);
    this.thread.messages.push(message);
    this.log('thread.message.created', clone(message));
    this.log('thread.message.in_progress', clone(message));
    this.currentStep = step;
    this.currentMessage = message;
  }

  /** Tokens the run may still generate (max_completion_tokens), or Infinity. */
  remainingBudget(): number {
    const max = this.run.max_completion_tokens;
    return max === null ? Infinity : Math.max(0, max - this.completionUsed);
  }

  /**
   * Writes the current message (as deltas), completes its step and ends the run: completed, or
   * incomplete when the text does not fit the completion budget.
   */
  finishWithMessage(text: string, annotations: TextAnnotation[] = [], extra: MessageContent[] = [], forcedBudget?: number): void {
    const message = this.currentMessage;
    const step = this.currentStep;
    if (!message || !step) throw new Error('finishWithMessage without beginMessage');
    const budget = Math.min(this.remainingBudget(), forcedBudget ?? Infinity);
    const needed = tokens(text);
    const truncated = needed > budget;
    const value = truncated ? truncateToTokens(text, budget) : text;
    const kept = annotations.filter((a) => a.end_index <= value.length);
    this.writeText(message, value, kept, truncated ? [] : extra);
    const now = nowSeconds();
    if (truncated) {
      message.status = 'incomplete';
      message.incomplete_at = now;
      message.incomplete_details = { reason: 'max_tokens' };
      this.log('thread.message.incomplete', clone(message));
    } else {
      message.status = 'completed';
      message.completed_at = now;
      this.log('thread.message.completed', clone(message));
    }
    this.finishStep(step, 'completed', truncated ? budget : needed);
    this.currentMessage = null;
    this.currentStep = null;
    if (truncated) this.incomplete();
    else this.complete();
  }

  /** Logs the text as message deltas (see `messageDeltas`) and sets the message's content. */
  private writeText(message: WireMessage, value: string, annotations: TextAnnotation[], extra: MessageContent[]): void {
    for (const delta of messageDeltas(message.id, value, annotations, extra)) this.log('thread.message.delta', delta);
    message.content = [{ type: 'text', text: { value, annotations } }, ...extra];
  }

  // ---- endings -----------------------------------------------------------------------------------

  private usage(): WireRun['usage'] {
    return sumUsage(this.ctx.store.runSteps(this.run.id).map((s) => s.usage));
  }

  complete(): void {
    this.run.completed_at = nowSeconds();
    this.run.expires_at = null;
    this.run.usage = this.usage();
    this.setStatus('completed');
  }

  /** Recorded quirk: an incomplete run also gets completed_at. */
  incomplete(): void {
    this.run.completed_at = nowSeconds();
    this.run.expires_at = null;
    this.run.incomplete_details = { reason: this.promptOverflow ? 'max_prompt_tokens' : 'max_completion_tokens' };
    this.run.usage = this.usage();
    this.setStatus('incomplete');
  }

  /** Marks whatever is still in progress as ended for `reason` (steps and the current message). */
  private abandon(stepStatus: 'failed' | 'cancelled' | 'expired', reason: 'run_failed' | 'run_cancelled' | 'run_expired'): void {
    // The message ends before its step, as in the recorded streams.
    for (const m of this.thread.messages) {
      if (m.run_id !== this.run.id || m.status !== 'in_progress') continue;
      m.status = 'incomplete';
      m.incomplete_at = nowSeconds();
      m.incomplete_details = { reason };
      this.log('thread.message.incomplete', clone(m));
    }
    for (const step of this.ctx.store.runSteps(this.run.id)) {
      if (step.status === 'in_progress') this.finishStep(step, stepStatus);
    }
    this.currentMessage = null;
    this.currentStep = null;
  }

  fail(): void {
    this.abandon('failed', 'run_failed');
    this.run.failed_at = nowSeconds();
    this.run.expires_at = null;
    this.run.last_error = { ...SERVER_ERROR };
    this.run.usage = this.usage();
    this.setStatus('failed');
  }

  private cancelled(): void {
    this.abandon('cancelled', 'run_cancelled');
    this.run.cancelled_at = nowSeconds();
    this.run.expires_at = null;
    this.run.usage = this.usage();
    this.setStatus('cancelled');
  }

  private expire(): void {
    this.abandon('expired', 'run_expired');
    this.waiting = null;
    this.pendingCalls = [];
    this.pendingStep = null;
    this.afterOutputs = null;
    this.run.required_action = null;
    this.run.expires_at = nowSeconds();
    this.run.usage = this.usage();
    this.setStatus('expired');
  }

  /** Leaves the run in progress until it is cancelled (the `cancel` script). */
  waitForCancel(): void {
    this.waiting = 'cancel';
  }
}
