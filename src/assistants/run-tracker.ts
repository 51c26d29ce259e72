import { ROOT_CONTEXT, context, type Attributes, type Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { BoundedMap, evictionWarning } from '../util/bounded-map';
import { arr, num, obj, secondsToMs, str, type Obj } from '../util/json';
import type { ClientLike, ObservedCall } from '../calls/observed-call';
import { now } from '../util/clock';
import { CLIENT, ambientLinks, serverAttributes, threadAttributes } from '../trace/call-attributes';
import type { Services } from '../services';
import { MAX_DELTA_EVENTS, MAX_DELTA_SPANS, MessageDeltaLog } from './message-deltas';
import { emitStepSpans, type RunSteps } from './step-spans';
import { suppressTracing } from '../trace/suppress';
import { Sweeper } from '../util/sweeper';
import { startThreadSpan } from '../trace/trace-roots';
import { readUsage, usageAttributes } from '../cost/usage';
import { recordOperation } from '../cost/metrics';
import { nanosToUsd } from '../cost';
import type { HistoryMessage, ConversationStore } from '../turns/conversation-store';
import { addTurn, setTurnAttributes } from '../turns/turn-accounting';
import { apiErrorType, markApiError, markThrown } from '../trace/errors';

export const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'expired', 'incomplete']);
const STEP_OPEN = new Set(['in_progress', '']);
const FILE_SEARCH_INCLUDE = 'step_details.tool_calls[*].file_search.results[*].content';
const MAX_STEP_PAGES = 10;
/** How long a finished polled run waits for the app's own messages read before fetching the texts. */
const APP_READ_WAIT_MS = 500;

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
export interface RunState {
  runId: string;
  threadId: string;
  client: ClientLike;
  span: Span;
  startTime: number;
  lastSeen: number;
  status: string;
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

/** What a run's event streams showed: live timing the whole-second API timestamps cannot give. */
export interface StreamedRun {
  steps: Map<string, Obj>;
  stepTimes: Map<string, { start?: number; end?: number }>;
  /** The `thread.message.delta` events, per message id (see MessageDeltaLog). */
  deltas: MessageDeltaLog;
  /**
   * Step deltas not merged yet, as their raw JSON, per step id: merged only when the streamed steps are
   * read (a stream cut before a step completed). A `thread.run.step.*` event replaces the step object,
   * and the deltas pending for the replaced one with it, so a completed step costs no parse of its deltas.
   */
  pendingDeltas?: Map<string, string[]>;
  pendingChars?: number;
  /** Terminal status seen in a stream (so no steps request is needed). */
  terminalInStream: boolean;
  /**
   * The stream that currently drives the run: a submit stream takes over at its request, so the end of
   * the stream before it (which may be processed after the submit already moved the run on) is ignored.
   */
  owner?: object;
}

/** Raw step-delta JSON held per run before it is merged anyway (bounds memory on a long step). */
const MAX_PENDING_DELTA_CHARS = 256 * 1024;

export type RunVia = 'create' | 'poll' | 'submit' | 'cancel' | 'stream';

/**
 * The one run state machine: a run span opens when the run is first seen (its create call, or its
 * first poll in a process that did not create it), polls/submits/cancels are events on it, and it
 * ends at the terminal status it is seen in, after its steps are fetched and turned into child spans.
 */
export class RunTracker {
  private readonly active: BoundedMap<string, RunState>;
  private readonly finished: BoundedMap<string, true>;
  private readonly sweeper: Sweeper;

  constructor(
    private readonly env: Services,
    private readonly store: ConversationStore,
  ) {
    const evicted = evictionWarning((m) => env.diag.warn(m), 'open runs', env.maxEntities);
    this.active = new BoundedMap(env.maxEntities, (_id, st) => {
      evicted();
      this.endUnfinished(st, 'evicted');
    });
    this.finished = new BoundedMap(env.maxEntities);
    this.sweeper = new Sweeper(env.runTtlMs, () => this.sweep());
  }

  /**
   * A run object seen in a response (create, poll, submit, cancel) or a `thread.run.*` stream event
   * (`streamEvent` names it; `at` is when it arrived).
   */
  onRun(run: Obj, call: ObservedCall, via: RunVia, at = call.endTime, streamEvent?: string): void {
    const runId = str(run.id);
    const threadId = str(run.thread_id);
    if (!runId || !threadId) return;
    let st = this.active.get(runId);
    if (!st) {
      if (this.finished.has(runId)) return; // a late poll of a run whose span already ended
      st = this.start(run, runId, threadId, call, streamEvent === 'thread.run.created' ? 'create' : via);
    }
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
    if (TERMINAL.has(status)) {
      if (via === 'stream') this.streamed(st).terminalInStream = true;
      this.finish(st, run, at);
    }
  }

  /**
   * `thread.run.step.*` events (not deltas): the step object and when each phase was seen. A step's
   * start is the client time of its `created` event; one first seen later (a submit stream opens with
   * the tool step completing) keeps the API's created_at.
   */
  onStreamStep(step: Obj, at: number, event: string): void {
    const st = this.active.peek(str(step.run_id) ?? '');
    const id = str(step.id);
    if (!st || !id) return;
    const s = this.streamed(st);
    const times = s.stepTimes.get(id) ?? { start: event === 'thread.run.step.created' ? at : undefined };
    s.stepTimes.set(id, times);
    if (!STEP_OPEN.has(str(step.status) ?? '')) times.end ??= at;
    s.steps.set(id, step);
    // The deltas merged so far are replaced along with the object they were merged into.
    const dropped = s.pendingDeltas?.get(id);
    if (dropped) {
      s.pendingDeltas!.delete(id);
      for (const raw of dropped) s.pendingChars! -= raw.length;
    }
    st.lastSeen = at;
  }

  /**
   * `thread.run.step.delta` (tool call pieces), as its JSON: kept unparsed until the streamed steps are
   * needed (most steps complete, and the completed step replaces the merged one), then merged so a cut
   * stream still has what it showed.
   */
  onStepDeltaRaw(runId: string, stepId: string, raw: string, at: number): void {
    const st = this.active.peek(runId);
    const s = st?.stream;
    if (!st || !s?.steps.has(stepId)) return;
    const pending = (s.pendingDeltas ??= new Map());
    let list = pending.get(stepId);
    if (!list) pending.set(stepId, (list = []));
    list.push(raw);
    s.pendingChars = (s.pendingChars ?? 0) + raw.length;
    if (s.pendingChars > MAX_PENDING_DELTA_CHARS) this.mergePending(s);
    st.lastSeen = at;
  }

  /** The steps a stream showed (held deltas merged). */
  private streamedSteps(st: RunState): RunSteps | undefined {
    if (!st.stream) return undefined;
    this.mergePending(st.stream);
    return { steps: [...st.stream.steps.values()] };
  }

  /** Merges the held step deltas, in arrival order per step, into the streamed steps. */
  private mergePending(s: StreamedRun): void {
    if (!s.pendingDeltas?.size) return;
    const pending = s.pendingDeltas;
    s.pendingDeltas = undefined;
    s.pendingChars = 0;
    for (const [id, raws] of pending) {
      const step = s.steps.get(id);
      if (!step) continue;
      for (const raw of raws) {
        let delta: Obj | undefined;
        try {
          delta = obj(JSON.parse(raw));
        } catch {
          continue;
        }
        if (delta) mergeDelta(step, { step_details: obj(delta.delta)?.step_details }, this.env.content.enabled);
      }
    }
  }

  /** `thread.message.delta`: held for the message's chat span (see MessageDeltaLog). */
  onMessageDelta(runId: string, messageId: string, delta: Obj, at: number): void {
    const st = this.active.peek(runId);
    if (!st) return;
    this.streamed(st).deltas.add(messageId, delta, at);
    st.lastSeen = at;
  }

  /** An `error` event in the stream: the run span records it (the stream's end decides the rest). */
  onStreamError(runId: string, data: Obj | undefined, at: number): void {
    const st = this.active.peek(runId);
    if (!st) return;
    const err = obj(data?.error) ?? data;
    st.span.addEvent('error', { [A.errorType]: apiErrorType(err, 'stream_error') }, at);
    markApiError(st.span, err, 'stream_error', 'error event in stream');
  }

  /**
   * A stream of this run ended. At requires_action the run goes on (the submit continues it); any
   * other non-terminal end (the app broke off, the connection dropped, an error event) ends the span,
   * marked with how the stream ended.
   */
  onStreamEnd(runId: string, outcome: string, at: number, error: unknown, stream: object): void {
    const st = this.active.peek(runId);
    if (!st || st.status === 'requires_action' || (st.stream?.owner && st.stream.owner !== stream)) return;
    this.active.delete(runId);
    if (outcome === 'error' && error !== undefined) markThrown(st.span, error, 'stream failed');
    st.lastSeen = at;
    // A clean end before the terminal event (the SDK's Stream just finishes) is a truncated stream.
    this.endUnfinished(st, `stream_${outcome === 'done' ? 'truncated' : outcome}`);
  }

  /** A stream (or a submit about to stream) takes over the run; see StreamedRun.owner. */
  claimStream(runId: string, stream: object): void {
    const st = this.active.peek(runId);
    if (st) this.streamed(st).owner = stream;
  }

  private streamed(st: RunState): StreamedRun {
    if (st.stream) return st.stream;
    const deltas = new MessageDeltaLog(this.env.messageDeltaSpans ? MAX_DELTA_SPANS : MAX_DELTA_EVENTS, this.env.content);
    return (st.stream = { steps: new Map(), stepTimes: new Map(), deltas, terminalInStream: false });
  }

  /** The app submitted tool outputs: the function tool spans end here. */
  onSubmit(runId: string, body: unknown, at: number): void {
    const st = this.active.peek(runId);
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
    const st = this.active.peek(runId);
    if (!st) return false;
    st.span.addEvent('openai.run.poll_error', { [A.httpStatus]: call.status ?? 0 }, call.endTime);
    return true;
  }

  /** Ends runs not seen for runTtlMs. */
  sweep(at = now()): void {
    for (const st of [...this.active.values()]) {
      if (at - st.lastSeen > this.env.runTtlMs) {
        this.active.delete(st.runId);
        this.endUnfinished(st, 'ttl');
      }
    }
  }

  /** Shutdown: every open run span ends now, marked as not observed to finish. */
  endAll(reason: string): void {
    this.sweeper.stop();
    for (const st of [...this.active.values()]) {
      this.active.delete(st.runId);
      this.endUnfinished(st, reason);
    }
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
    const model = str(run.model);
    if (model) attributes[A.requestModel] = model;
    if (via !== 'create') attributes[A.runObservedFrom] = via;
    const { span } = startThreadSpan(this.env.tracer(), threadId, `invoke_agent ${assistant?.name ?? assistantId ?? 'assistant'}`, {
      kind: CLIENT,
      startTime: Math.min(created, call.startTime),
      attributes,
      links: ambientLinks(call),
    });
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
    this.active.set(runId, st);
    this.sweeper.start();
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
    st.span.addEvent('openai.run.requires_action', { 'gen_ai.tool.call.ids': ids }, at);
  }

  private finish(st: RunState, run: Obj, endTime: number): void {
    this.active.delete(st.runId);
    this.finished.set(st.runId, true);
    const span = st.span;
    const status = st.status;
    span.setAttribute(A.runStatus, status);
    span.setAttribute(A.pollCount, st.polls);
    if (st.model) span.setAttribute(A.responseModel, st.model);
    span.setAttributes(usageAttributes(run.usage));
    const incomplete = str(obj(run.incomplete_details)?.reason);
    if (incomplete) span.setAttribute(A.incompleteReason, incomplete);
    if (status === 'failed' || status === 'expired') {
      markApiError(span, run.last_error, status, `run ${status}`);
    }
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
      .then((steps) => this.account(st, run, steps));
    this.env.track(work.finally(() => span.end(endTime)));
  }

  /**
   * The run's cost (its usage; a code interpreter session when it ran code) and the thread's running
   * figures: cumulative cost and runs, the user messages this run answers and the cost per message.
   * Exact for a thread whose runs all happen in this process.
   */
  private async account(st: RunState, run: Obj, steps: RunSteps | undefined): Promise<void> {
    const usedCode = (steps?.steps ?? []).some((s) => arr(obj(s.step_details)?.tool_calls).some((c) => obj(c)?.type === 'code_interpreter'));
    const cost = this.env.cost.of(st.model, run.usage, { codeSessions: usedCode ? 1 : 0 });
    const thread = this.store.thread(st.threadId);
    let totals = addTurn(thread, cost);
    const span = st.span;
    if (this.env.threadCost === 'api') {
      const fromApi = await this.threadTotalsFromApi(st, cost?.total ?? 0).catch((err: unknown) => {
        this.env.diag.debug(`spanlens: run list of thread ${st.threadId} not fetched: ${String(err)}`);
        return undefined;
      });
      span.setAttribute(A.threadCostSource, fromApi ? 'api' : 'process');
      if (fromApi) totals = fromApi;
    }
    setTurnAttributes(this.env, span, thread, st.runId, cost, st.userMessages, totals);
    const metrics = this.env.metrics();
    if (metrics) {
      const usage = readUsage(run.usage);
      const failed = st.status === 'failed' || st.status === 'expired';
      recordOperation(metrics, {
        model: st.model,
        assistantId: st.assistantId,
        errorType: failed ? apiErrorType(run.last_error, st.status) : undefined,
        inputTokens: usage.input,
        outputTokens: usage.output,
        seconds: Math.max(0, st.lastSeen - st.startTime) / 1000,
        costUsd: cost ? nanosToUsd(cost.total) : undefined,
      });
    }
  }

  /**
   * threadCost 'api': the thread's runs up to and including this one, from the run list (created_at
   * order), each priced from its own usage (this run with its tool fees too).
   */
  private async threadTotalsFromApi(st: RunState, ownNanos: number): Promise<{ costNanos: number; runCount: number }> {
    if (typeof st.client.get !== 'function') throw new Error('client cannot make requests');
    const runs = await this.listAll(st.client, `/threads/${encodeURIComponent(st.threadId)}/runs`, {});
    const upTo = runs.findIndex((r) => r.id === st.runId);
    if (upTo < 0) throw new Error('run not in the thread run list');
    let costNanos = 0;
    for (const r of runs.slice(0, upTo + 1)) costNanos += r.id === st.runId ? ownNanos : (this.env.cost.of(str(r.model), r.usage)?.total ?? 0);
    return { costNanos, runCount: upTo + 1 };
  }

  private endUnfinished(st: RunState, reason: string): void {
    this.finished.set(st.runId, true);
    st.span.setAttribute(A.runEndReason, reason);
    st.span.setAttribute(A.runStatus, st.status);
    st.span.setAttribute(A.pollCount, st.polls);
    this.updateName(st);
    emitStepSpans(this.env, this.store, st, this.streamedSteps(st), st.lastSeen);
    st.span.end(Math.max(st.lastSeen, st.startTime));
  }

  private updateName(st: RunState): void {
    const name = st.assistantId ? this.store.assistants.peek(st.assistantId)?.name : undefined;
    if (name) {
      st.span.updateName(`invoke_agent ${name}`);
      st.span.setAttribute(A.agentName, name);
    }
  }

  /** The run's steps (one suppressed, paged request) and, with content capture, its messages. */
  private async collectSteps(st: RunState): Promise<RunSteps | undefined> {
    if (st.stream?.terminalInStream) return this.streamedSteps(st);
    if (!this.env.fetchRunSteps || typeof st.client.get !== 'function') return undefined;
    const base = `/threads/${encodeURIComponent(st.threadId)}/runs/${encodeURIComponent(st.runId)}`;
    const steps = await this.listAll(st.client, `${base}/steps`, { include: [FILE_SEARCH_INCLUDE] });
    const messageIds = steps.map((s) => str(obj(obj(s.step_details)?.message_creation)?.message_id)).filter((id): id is string => id !== undefined);
    // An app that lists the thread's messages (most do, right after the run) is waited for briefly, so
    // its read brings the texts and costs no request of ours. One never seen listing is not waited for.
    const wait = this.store.appListsMessages ? APP_READ_WAIT_MS : 0;
    if (this.env.content.enabled && messageIds.length && !(await this.store.whenTexts(messageIds, wait))) {
      const messages = await this.listAll(st.client, `/threads/${encodeURIComponent(st.threadId)}/messages`, {
        run_id: st.runId,
      }).catch(() => []);
      for (const m of messages) this.store.recordMessage(m, st.threadId);
    }
    return { steps };
  }

  private async listAll(client: ClientLike, path: string, query: Record<string, unknown>): Promise<Obj[]> {
    const out: Obj[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_STEP_PAGES; page++) {
      const q = { limit: 100, order: 'asc', ...query, ...(after ? { after } : {}) };
      const res = obj(
        await context.with(suppressTracing(ROOT_CONTEXT), () =>
          (client.get as NonNullable<ClientLike['get']>)(path, {
            query: q,
            headers: { 'OpenAI-Beta': 'assistants=v2' },
            maxRetries: 1,
            timeout: 30_000,
          }),
        ),
      );
      const data = arr(res?.data).map(obj).filter((x): x is Obj => x !== undefined);
      out.push(...data);
      after = str(res?.last_id) ?? str(data[data.length - 1]?.id);
      if (res?.has_more !== true || !after) break;
    }
    return out;
  }
}


/**
 * Merges a step delta into the streamed step: strings append (arguments, code input, logs), arrays
 * merge by each element's `index`, objects recurse. Content strings stop growing when capture is off.
 */
export function mergeDelta(target: Obj, delta: Obj, keepText: boolean): void {
  for (const [key, value] of Object.entries(delta)) {
    if (value === undefined || value === null) continue;
    const current = target[key];
    if (typeof value === 'string') {
      target[key] = typeof current === 'string' && key !== 'type' && key !== 'id' && key !== 'name' ? (keepText ? current + value : current) : value;
    } else if (Array.isArray(value)) {
      const list = Array.isArray(current) ? current : (target[key] = []);
      for (const item of value) {
        const o = obj(item);
        const index = num(o?.index);
        const slot = index === undefined ? undefined : list.find((x) => num(obj(x)?.index) === index) ?? list[index];
        if (o && obj(slot)) mergeDelta(slot as Obj, o, keepText);
        else list.push(o ? { ...o } : item);
      }
    } else if (typeof value === 'object') {
      if (!obj(current)) target[key] = {};
      mergeDelta(target[key] as Obj, value as Obj, keepText);
    } else {
      target[key] = value;
    }
  }
}
