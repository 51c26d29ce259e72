import { copyJSON, str, type Obj } from '../util/json';
import type { ObservedCall } from '../calls/observed-call';
import type { Route } from '../calls/routes';
import type { RunTracker } from './run-tracker';
import type { SSEEvent } from '../streams/sse';
import type { StreamOutcome } from '../streams/stream-tap';
import type { ConversationStore } from '../turns/conversation-store';
import { TurnStreamSink } from '../turns/turn-stream-sink';

/** The id a step delta opens with as the API writes it (`{"id":"step_…","object":"thread.run.step.delta",…`). */
const DELTA_ID = /^\{\s*"id"\s*:\s*"([^"\\]+)"/;

const MESSAGE_DELTA = 'thread.message.delta';
const STEP_DELTA = 'thread.run.step.delta';
/** Events read besides `thread.run.*`. */
const USED_EVENTS = new Set(['thread.created', MESSAGE_DELTA, 'thread.message.completed', 'thread.message.incomplete', 'error']);
const reads = (name: string): boolean => name.startsWith('thread.run.') || USED_EVENTS.has(name);

/** What the tracker does for stream events that are not about the run itself. */
interface StreamHooks {
  /** `thread.created` in a createAndRun stream: the thread's root span. */
  threadCreated(thread: Obj, at: number): void;
  /** The stream ended before any run was seen (e.g. failed at once): a plain call span. */
  noRun(outcome: StreamOutcome, at: number, error?: unknown): void;
}

/**
 * Routes the events of one Assistants run stream (create, createAndRun, submit_tool_outputs) into the
 * run state machine. Deltas only add to state; spans are built by the same step mapping as polled
 * runs, with the stream's client-clock times.
 */
export class RunStreamSink extends TurnStreamSink {
  constructor(
    private readonly call: ObservedCall,
    route: Route,
    private readonly runs: RunTracker,
    private readonly store: ConversationStore,
    private readonly hooks: StreamHooks,
  ) {
    // A submit stream continues a known run: it owns the run from its request on.
    super(runs, route.runId);
  }

  event(e: SSEEvent, at: number): void {
    if (e.event === 'done' || !e.data) return;
    const name = e.event;
    // A step delta (code input, arguments: most of a tool step) has only its id read now; it is parsed
    // only if the step's final object never arrives (RunTracker.onStepDeltaRaw).
    if (this.turnId && name === STEP_DELTA) {
      const id = DELTA_ID.exec(e.data)?.[1];
      this.skipped(e.data);
      if (id) return this.runs.onStepDeltaRaw(this.turnId, id, e.data, at);
    }
    // Events nothing below reads (thread.message.created / in_progress, …) are not parsed at all.
    if (!reads(name)) return this.skipped(e.data);
    const data = this.parse(e.data);
    if (!data) return;
    if (name === STEP_DELTA) {
      const id = str(data.id);
      return this.turnId && id ? this.runs.onStepDeltaRaw(this.turnId, id, e.data, at) : undefined;
    }
    if (name === MESSAGE_DELTA) return this.messageDelta(data, at);
    this.handle(name, data, at);
  }

  item(name: string, data: Obj, at: number): void {
    // The app's objects change after this (AssistantStream accumulates into them): a message delta's text
    // is read now, a step delta kept as the JSON it came as.
    if (name === MESSAGE_DELTA) return this.messageDelta(data, at);
    if (name === STEP_DELTA) {
      const id = str(data.id);
      return this.turnId && id ? this.runs.onStepDeltaRaw(this.turnId, id, JSON.stringify(data), at) : undefined;
    }
    if (!reads(name)) return;
    // The objects kept (runs, steps, the thread) are copies, for the same reason; a completed message (the
    // longest event) and an error are only read now.
    const copy = name.startsWith('thread.run.') || name === 'thread.created' ? copyJSON(data) : data;
    if (copy) this.handle(name, copy, at);
  }

  private messageDelta(delta: Obj, at: number): void {
    const id = str(delta.id);
    if (this.turnId && id) this.runs.onMessageDelta(this.turnId, id, delta, at, this.call.startTime);
  }

  private handle(name: string, data: Obj, at: number): void {
    if (name === 'thread.created') return this.hooks.threadCreated(data, at);
    if (name.startsWith('thread.run.step.')) {
      this.turnId = str(data.run_id) ?? this.turnId;
      return this.runs.onStreamStep(data, at, name);
    }
    if (name.startsWith('thread.run.')) return this.turnObject(str(data.id), name, data, at);
    if (name === 'thread.message.completed' || name === 'thread.message.incomplete') return this.store.recordMessage(data);
    if (name === 'error') this.errorEvent(data, at);
  }

  protected track(name: string, run: Obj, at: number): void {
    this.runs.onRun(run, this.call, 'stream', at, name);
  }

  protected noTurn(outcome: StreamOutcome, at: number, error?: unknown): void {
    this.hooks.noRun(outcome, at, error);
  }
}
