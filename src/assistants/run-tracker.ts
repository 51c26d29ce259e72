import type { Attributes } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { arr, obj, secondsToMs, str, type Obj } from '../util/json';
import type { ClientLike, ObservedCall } from '../calls/observed-call';
import { CLIENT, serverAttributes, threadAttributes } from '../trace/call-attributes';
import type { Services } from '../services';
import { emitStepSpans, type RunSteps } from './step-spans';
import { placeSpan } from '../trace/placement';
import { threadKey } from '../trace/trace-ids';
import { usageAttributes } from '../cost/usage';
import type { HistoryMessage, ConversationStore } from '../turns/conversation-store';
import { TurnTracker, type TurnState } from '../turns/turn-tracker';
import { markApiError } from '../trace/errors';
import { chunkTimer } from '../cost/metrics';
import { recordStreamEndedTurn } from '../turns/turn-accounting';
import { holdStepDelta, newStreamedRun, recordStreamStep, streamedSteps, type StreamedRun } from './streamed-run';
import { RUN_STATUSES } from './run-statuses';
import { fetchRunSteps } from './run-fetch';
import { accountRun } from './run-accounting';

/** A function call the run asked for (requires_action), and what the app submitted for it. */
export interface ToolCallRecord {
  id: string;
  name: string;
  arguments?: string;
  seenAt: number;
  output?: string;
  submittedAt?: number;
}

/** Everything known about one run while its span is open. */
export interface RunState extends TurnState {
  runId: string;
  threadId: string;
  client: ClientLike;
  polls: number;
  assistantId?: string;
  model?: string;
  instructions?: string;
  run?: Obj;
  toolCalls: Map<string, ToolCallRecord>;
  /** The thread's messages when the run started: what its first model call saw. */
  inputHistory: HistoryMessage[];
  /** The user messages this run answers: those added since the thread's previous run. */
  userMessages: HistoryMessage[];
  /** Seen through a stream: step objects as streamed (deltas merged) and client-clock step times. */
  stream?: StreamedRun;
}

type RunVia = 'create' | 'poll' | 'submit' | 'cancel' | 'stream';

/**
 * The one run state machine: a run span opens when the run is first seen (its create call, or its
 * first poll in a process that did not create it), polls/submits/cancels are events on it, and it
 * ends at the terminal status it is seen in, after its steps are fetched and turned into child spans.
 * At requires_action a run outlives its stream (the submit continues it).
 */
export class RunTracker {
  private readonly runs: TurnTracker<RunState>;

  constructor(
    private readonly env: Services,
    private readonly store: ConversationStore,
  ) {
    this.runs = new TurnTracker<RunState>(env, {
      noun: 'open runs',
      close: (st, reason) => this.endUnfinished(st, reason),
      outlivesStream: (st) => st.status === 'requires_action',
    });
  }

  /**
   * A run object seen in a response (create, poll, submit, cancel) or a `thread.run.*` stream event
   * (`streamEvent` names it; `at` is when it arrived).
   */
  onRun(run: Obj, call: ObservedCall, via: RunVia, at = call.endTime, streamEvent?: string): void {
    const runId = str(run.id);
    const threadId = str(run.thread_id);
    if (!runId || !threadId) return;
    // A late poll of a run whose span already ended starts nothing.
    const st = this.runs.get(runId) ?? (this.runs.isFinished(runId) ? undefined : this.start(run, runId, threadId, call, streamEvent === 'thread.run.created' ? 'create' : via));
    if (!st) return;
    st.lastSeen = at;
    st.run = run;
    st.model = str(run.model) ?? st.model;
    st.instructions = str(run.instructions) ?? st.instructions;
    st.assistantId = str(run.assistant_id) ?? st.assistantId;
    const status = str(run.status) ?? st.status;
    if (via === 'poll') {
      st.polls++;
      st.span.addEvent('openai.run.poll', { [A.runStatus]: status }, at);
    } else if (via === 'stream') {
      if (streamEvent !== 'thread.run.created') st.span.addEvent(streamEvent ?? 'thread.run', { [A.runStatus]: status }, at);
    } else if (via !== 'create') {
      st.span.addEvent(`openai.run.${via === 'submit' ? 'submit_tool_outputs' : 'cancel'}`, { [A.runStatus]: status }, call.startTime);
    }
    if (status !== st.status) {
      st.status = status;
      if (status === 'requires_action') this.recordRequiredAction(st, run, at);
    }
    if (RUN_STATUSES.isTerminal(status)) {
      if (via === 'stream') this.streamed(st).terminalInStream = true;
      this.finish(st, run, at);
    }
  }

  /** `thread.run.step.*` events (not deltas); see recordStreamStep. */
  onStreamStep(step: Obj, at: number, event: string): void {
    const st = this.runs.peek(str(step.run_id) ?? '');
    const id = str(step.id);
    if (!st || !id) return;
    recordStreamStep(this.streamed(st), id, step, at, event);
    st.lastSeen = at;
  }

  /**
   * `thread.run.step.delta` (tool call pieces), as its JSON: kept unparsed until the streamed steps are
   * needed (most steps complete, and the completed step replaces the merged one), then merged so a cut
   * stream still has what it showed.
   */
  onStepDeltaRaw(runId: string, stepId: string, raw: string, at: number): void {
    const st = this.runs.peek(runId);
    const s = st?.stream;
    if (!st || !s?.steps.has(stepId)) return;
    holdStepDelta(s, stepId, raw, this.env.content.enabled);
    st.lastSeen = at;
  }

  /**
   * `thread.message.delta`: held for the message's chat span (see MessageDeltaLog), with the start of the
   * request whose stream brought its first delta (time to first chunk counts from the request); each
   * delta is an output chunk of the run on the streaming metrics.
   */
  onMessageDelta(runId: string, messageId: string, delta: Obj, at: number, requestStart: number): void {
    const st = this.runs.peek(runId);
    if (!st) return;
    const s = this.streamed(st);
    if (!s.requestStarts.has(messageId)) s.requestStarts.set(messageId, requestStart);
    s.deltas.add(messageId, delta, at);
    if (s.timer === undefined) {
      const key = { operation: 'invoke_agent', requestModel: st.model, responseModel: st.model, client: st.client, assistantId: st.assistantId };
      s.timer = chunkTimer(this.env.metrics(), key, requestStart) ?? null;
    }
    s.timer?.chunk(at);
    st.lastSeen = at;
  }

  /** An `error` event in the stream: the run span records it (the stream's end decides the rest). */
  onStreamError(runId: string, data: Obj | undefined, at: number): void {
    this.runs.streamError(runId, data, at);
  }

  /**
   * A stream of this run ended. At requires_action the run goes on (the submit continues it); any
   * other non-terminal end (the app broke off, the connection dropped, an error event) ends the span,
   * marked with how the stream ended.
   */
  onStreamEnd(runId: string, outcome: string, at: number, error: unknown, stream: object): void {
    this.runs.streamEnd(runId, outcome, at, error, stream);
  }

  /** A stream (or a submit about to stream) takes over the run; see TurnState.owner. */
  claimStream(runId: string, stream: object): void {
    const st = this.runs.claim(runId, stream);
    if (st) this.streamed(st);
  }

  private streamed(st: RunState): StreamedRun {
    return (st.stream ??= newStreamedRun(this.env));
  }

  /** The steps a stream showed (held deltas merged). */
  private streamedSteps(st: RunState): RunSteps | undefined {
    return streamedSteps(st.stream, this.env.content.enabled);
  }

  /** The app submitted tool outputs: the function tool spans end here. */
  onSubmit(runId: string, body: unknown, at: number): void {
    const st = this.runs.peek(runId);
    if (!st) return;
    for (const raw of arr(obj(body)?.tool_outputs)) {
      const out = obj(raw);
      const rec = st.toolCalls.get(str(out?.tool_call_id) ?? '');
      if (!rec || rec.submittedAt !== undefined) continue;
      rec.submittedAt = at;
      const output = out?.output;
      rec.output = typeof output === 'string' ? output : output === undefined ? undefined : JSON.stringify(output);
    }
  }

  /** A poll that failed (e.g. 5xx after retries) is an event on the run, not a span of its own. */
  onPollError(runId: string, call: ObservedCall): boolean {
    const st = this.runs.peek(runId);
    if (!st) return false;
    st.span.addEvent('openai.run.poll_error', { [A.httpStatus]: call.status ?? 0 }, call.endTime);
    return true;
  }

  /** Ends runs not seen for runTtlMs. */
  sweep(at?: number): void {
    this.runs.sweep(at);
  }

  /** Shutdown: every open run span ends now, marked as not observed to finish. */
  endAll(reason: string): void {
    this.runs.endAll(reason);
  }

  private start(run: Obj, runId: string, threadId: string, call: ObservedCall, via: RunVia): RunState {
    const assistantId = str(run.assistant_id);
    const assistant = assistantId ? this.store.assistants.peek(assistantId) : undefined;
    const created = via === 'create' ? call.startTime : (secondsToMs(run.created_at) ?? call.startTime);
    const attributes: Attributes = {
      ...serverAttributes(call.client),
      ...threadAttributes(threadId),
      [A.kind]: 'agent_step',
      [A.operation]: 'invoke_agent',
      [A.runId]: runId,
    };
    if (assistantId) attributes[A.agentId] = assistantId;
    if (assistant?.name) attributes[A.agentName] = assistant.name;
    if (assistant?.description) attributes[A.agentDescription] = assistant.description;
    const model = str(run.model);
    if (model) attributes[A.requestModel] = model;
    if (call.stream) attributes[A.requestStream] = true;
    if (via !== 'create') attributes[A.runObservedFrom] = via;
    // The conventions: `invoke_agent {gen_ai.agent.name}`, `invoke_agent` alone when the agent has no name.
    const name = assistant?.name ? `invoke_agent ${assistant.name}` : 'invoke_agent';
    const span = placeSpan(this.env, threadKey(threadId), call.ambient, name, { kind: CLIENT, startTime: Math.min(created, call.startTime), attributes });
    const thread = this.store.thread(threadId);
    const st: RunState = {
      runId,
      threadId,
      client: call.client,
      span,
      startTime: Math.min(created, call.startTime),
      lastSeen: call.endTime,
      status: '',
      polls: 0,
      toolCalls: new Map(),
      inputHistory: thread.history.filter((m) => m.runId !== runId),
      userMessages: thread.pendingUser.splice(0),
    };
    this.runs.open(runId, st);
    return st;
  }

  private recordRequiredAction(st: RunState, run: Obj, at: number): void {
    const calls = arr(obj(obj(run.required_action)?.submit_tool_outputs)?.tool_calls);
    const ids: string[] = [];
    for (const raw of calls) {
      const c = obj(raw);
      const id = str(c?.id);
      if (!c || !id) continue;
      ids.push(id);
      if (st.toolCalls.has(id)) continue;
      const fn = obj(c.function);
      st.toolCalls.set(id, { id, name: str(fn?.name) ?? 'function', arguments: str(fn?.arguments), seenAt: at });
    }
    st.span.addEvent('openai.run.requires_action', { [A.toolCallIds]: ids }, at);
  }

  private finish(st: RunState, run: Obj, endTime: number): void {
    this.runs.finish(st.runId);
    const span = st.span;
    const status = st.status;
    span.setAttribute(A.runStatus, status);
    span.setAttribute(A.pollCount, st.polls);
    if (st.model) span.setAttribute(A.responseModel, st.model);
    span.setAttributes(usageAttributes(run.usage));
    const incomplete = str(obj(run.incomplete_details)?.reason);
    if (incomplete) span.setAttribute(A.incompleteReason, incomplete);
    if (RUN_STATUSES.failed(status)) markApiError(span, run.last_error, status, `run ${status}`);
    this.updateName(st);
    const work = this.collectSteps(st)
      .then(
        (steps) => {
          emitStepSpans(this.env, this.store, st, steps ?? this.streamedSteps(st), endTime);
          if (!steps) span.setAttribute(A.stepsMissing, true);
          return steps ?? this.streamedSteps(st);
        },
        (err: unknown) => {
          this.env.diag.debug(`spanlens: steps of run ${st.runId} not fetched: ${String(err)}`);
          span.setAttribute(A.stepsMissing, true);
          emitStepSpans(this.env, this.store, st, this.streamedSteps(st), endTime);
          return this.streamedSteps(st);
        },
      )
      .then((steps) => accountRun(this.env, this.store, st, run, steps));
    this.env.track(work.finally(() => span.end(endTime)));
  }

  /** A run not seen to finish (TTL, eviction, shutdown, its stream broke): ends now with what was seen. */
  private endUnfinished(st: RunState, reason: string): void {
    this.runs.closed(st.runId);
    st.span.setAttribute(A.runEndReason, reason);
    st.span.setAttribute(A.runStatus, st.status);
    st.span.setAttribute(A.pollCount, st.polls);
    this.updateName(st);
    emitStepSpans(this.env, this.store, st, this.streamedSteps(st), st.lastSeen);
    st.span.end(Math.max(st.lastSeen, st.startTime));
    recordStreamEndedTurn(this.env, st, reason, { requestModel: st.model, responseModel: st.model, client: st.client, assistantId: st.assistantId });
  }

  private updateName(st: RunState): void {
    const assistant = st.assistantId ? this.store.assistants.peek(st.assistantId) : undefined;
    if (assistant?.name) {
      st.span.updateName(`invoke_agent ${assistant.name}`);
      st.span.setAttribute(A.agentName, assistant.name);
    }
    if (assistant?.description) st.span.setAttribute(A.agentDescription, assistant.description);
  }

  /** The run's steps: as streamed when its stream showed the end, else fetched. */
  private async collectSteps(st: RunState): Promise<RunSteps | undefined> {
    if (st.stream?.terminalInStream) return this.streamedSteps(st);
    return fetchRunSteps(this.env, this.store, st);
  }
}
