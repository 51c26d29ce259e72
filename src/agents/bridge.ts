import { ROOT_CONTEXT, context, trace, type Attributes, type Context, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { INTERNAL } from '../trace/call-attributes';
import type { ObservedCall } from '../calls/observed-call';
import type { Services } from '../services';
import { BoundedMap } from '../util/bounded-map';
import { now } from '../util/clock';
import { arr, obj, str } from '../util/json';
import { ProcessorGate, watchProviderCreation } from './gate';
import { placeRun, startAt, type ChainLookup, type Where } from './placement';
import { RunTotals } from './run-totals';
import { currentSdkSpan, globalProvider, type SdkSpan, type SdkTrace, type TraceProviderLike, type TracingProcessor } from './sdk';
import { claimRun, claimResumingRun, type Resumption, type RunHandle, type RunHost } from './runner';
import { emitSdkModelSpan } from './sdk-model-span';
import { agentShape, applyEnd, approvalRejected, shapeOf, type Shape } from './span-shapes';

/** An exported OTel span and the context its children start in. */
interface Out {
  span: Span;
  ctx: Context;
}

/** One agent run (a task span; on SDKs without task spans, the trace): its root is its first agent's span. */
interface Run {
  startTime: number;
  where: Where;
  /** What the root says about the run's conversation (top-level runs only). */
  attributes?: Attributes;
  /** Its model calls' usage and cost, put on the root at its end. */
  totals: RunTotals;
  /** The run it is nested in (an agent used as a tool): its totals count there too. */
  outer?: Run;
  root?: Out;
  /** The Runner.run call that opened it: it ends the root once the app has its outcome. */
  handle?: RunHandle;
}

/** An SDK span the bridge saw start. */
interface Node {
  /** The parent span id, or the trace id for a top-level span. */
  parent: string;
  traceId: string;
  /** Its OTel span; none for the types that are not exported (turn, response, generation, …). */
  out?: Out;
  /** The run's first agent: it describes the root, whose end is the run's. */
  merged?: boolean;
  /** A task span: the run it opens. */
  run?: Run;
  /** A response / generation span: the model call it wraps, made a span from its data unless our hook saw it. */
  model?: ModelCallNode;
  /** The agent span a resumed run continues (before 0.14): its end is the run's. */
  continues?: boolean;
}

interface ModelCallNode {
  startTime: number;
  /**
   * An openai call we observe was made inside it: that call's span is the model call's. Any call counts (its
   * endpoint is not known yet when it is placed), as placeCall already treats it as the model call.
   */
  observed: boolean;
}

/** A function call a model call asked for, so the tool's span gets the call id (matched by name and arguments). */
interface FunctionCall {
  name: string;
  args?: string;
  callId: string;
  /** A call the run resumed after the app's decision on it (approved, or rejected: the SDK's span fails). */
  pending?: boolean;
}

interface TraceEntry {
  startTime: number;
  where: Where;
  attributes: Attributes;
  /** The run of an SDK without task spans (before 0.14): the trace is the run. */
  run?: Run;
  calls: FunctionCall[];
  /** The Runner.run call this trace was started in, for the trace's first run. */
  handle?: RunHandle;
  /** The RunState the trace's run resumes. */
  resumes?: Resumption;
  /** A resumed run's trace the SDK announced no start of, and will announce no end of. */
  untracked?: boolean;
}

const MAX_PENDING_CALLS = 64;
const MAX_DEPTH = 256;

/**
 * The Agents SDK's tracing processor that turns its spans into OTel spans, first in the SDK's processor
 * list (see gate.ts). One run is one tree: `invoke_agent {starting agent}` (the task and its first agent),
 * agents reached by handoff as `invoke_agent {name}` under it, tools (`execute_tool`), handoffs, guardrails
 * and custom spans under the agent that ran them; turns are not exported. Each span is timed by the SDK's
 * own start and end (the processor runs synchronously inside them); data filled late is read at the end.
 * The model calls are our Responses / chat spans, placed under their agent by placeCall; a model call
 * our hook did not see (another provider, a custom Model, the WebSocket transport) gets its `chat` span
 * from the SDK's response / generation span (sdk-model-span.ts).
 */
export class AgentsBridge implements TracingProcessor, RunHost {
  private env!: Services;
  private isActive = false;
  private gate?: ProcessorGate;
  private traces!: BoundedMap<string, TraceEntry>;
  private nodes!: BoundedMap<string, Node>;
  /** The roots of runs that stopped for approvals, by SDK trace id: a run resuming one links to it. */
  private interrupted!: BoundedMap<string, SpanContext>;
  private chains?: ChainLookup;

  /** New options (`chains`: the Responses tracker's response chains): what is open ends, marked. */
  configure(env: Services, chains?: ChainLookup): void {
    if (this.nodes) this.endAll('reconfigured');
    this.env = env;
    this.chains = chains;
    this.traces = new BoundedMap(env.maxEntities, (_id, entry) => this.endRun(entry.run, 'evicted'));
    this.nodes = new BoundedMap(env.maxEntities, (_id, node) => this.endNode(node, 'evicted'));
    this.interrupted = new BoundedMap(env.maxEntities);
    this.gate?.setMuted(!env.agentsSdkExport);
  }

  /**
   * The SDK was loaded (`watch`: from the module hook) or the instrumentation enabled: gate the SDK's
   * provider now if it exists, else (when loaded) as soon as the SDK creates it.
   */
  hookProvider(watch: boolean): void {
    if (this.gate) return;
    const existing = globalProvider();
    if (existing) this.gateOn(existing, false);
    else if (watch) watchProviderCreation((p) => this.gateOn(p, true));
  }

  private gateOn(provider: TraceProviderLike, fresh: boolean): void {
    if (this.gate) return;
    this.gate = new ProcessorGate(provider, this, fresh);
    this.gate.setBridgeActive(this.isActive);
    if (this.env) this.gate.setMuted(!this.env.agentsSdkExport);
  }

  active(): boolean {
    return this.isActive;
  }

  services(): Services {
    return this.env;
  }

  setActive(active: boolean): void {
    if (!active && this.nodes) this.endAll('shutdown');
    this.isActive = active;
    this.gate?.setBridgeActive(active);
  }

  /**
   * At the request layer, in the caller's async context: a call made inside a span of a run we bridge
   * (a model call in its `response` span, a call a tool makes in its `function` span) is placed under that
   * span's nearest exported ancestor. A model call is agent-managed: the SDK's function and handoff spans
   * are its tool spans, so its function_call items and their outputs make none.
   */
  placeCall(call: ObservedCall): void {
    if (!this.isActive || this.nodes.size === 0) return;
    const span = currentSdkSpan();
    if (!span) return;
    const node = this.nodes.peek(span.spanId);
    if (node?.model) node.model.observed = true;
    const where = node ? this.whereFor(span.spanId) : this.whereFor(span.parentId ?? span.traceId);
    if (!where || !('ctx' in where)) return;
    call.ambient = where.ctx;
    const type = span.spanData?.type;
    if (type !== 'response' && type !== 'generation') return;
    call.agentManaged = true;
    call.runTotals = this.runAbove(span.parentId ?? span.traceId)?.totals;
  }

  async onTraceStart(t: SdkTrace): Promise<void> {
    if (!this.isActive) return;
    this.safely(() => {
      const ctx = context.active();
      this.traces.set(t.traceId, this.newEntry(t, ctx, claimRun(ctx)));
    });
  }

  /** A trace's run, placed in the app's context at its start; a resumed run's calls awaiting approval noted. */
  private newEntry(t: SdkTrace, ctx: Context, handle: RunHandle | undefined): TraceEntry {
    const { where, attributes } = placeRun(this.env, t, ctx, this.chains);
    const resumes = handle?.resumes?.traceId === t.traceId ? handle.resumes : undefined;
    const calls = resumes ? resumes.pending.map((c) => ({ ...c, pending: true })) : [];
    return { startTime: now(), where, attributes, calls, handle, resumes };
  }

  /**
   * A span of a trace not started here: a run resumed in this process from a RunState, whose trace the
   * SDK does not start again (see Resumption). Its entry is made now, as its trace start would have.
   */
  private resumedEntry(traceId: string): TraceEntry | undefined {
    const ctx = context.active();
    const handle = claimResumingRun(ctx, traceId);
    if (!handle) return undefined;
    const entry = this.newEntry({ traceId, groupId: handle.resumes!.groupId }, ctx, handle);
    entry.untracked = true;
    this.traces.set(traceId, entry);
    return entry;
  }

  async onTraceEnd(t: SdkTrace): Promise<void> {
    this.safely(() => {
      const entry = this.traces.peek(t.traceId);
      if (!entry) return;
      this.traces.delete(t.traceId);
      this.closeOpen(t.traceId);
      this.endRun(entry.run);
    });
  }

  async onSpanStart(s: SdkSpan): Promise<void> {
    if (this.isActive) this.safely(() => this.startSpan(s));
  }

  async onSpanEnd(s: SdkSpan): Promise<void> {
    this.safely(() => this.endSpan(s));
  }

  async shutdown(): Promise<void> {
    // The SDK shuts down processors it replaces or at exit: the bridge's spans end with the OTel provider.
  }

  async forceFlush(): Promise<void> {}

  /** Shutdown, reconfiguration: every open span ends, marked. */
  endAll(reason: string): void {
    for (const node of this.nodes.values()) this.endNode(node, reason);
    for (const entry of this.traces.values()) this.endRun(entry.run, reason);
    this.nodes = new BoundedMap(this.env.maxEntities, (_id, node) => this.endNode(node, 'evicted'));
    this.traces = new BoundedMap(this.env.maxEntities, (_id, entry) => this.endRun(entry.run, 'evicted'));
  }

  private startSpan(s: SdkSpan): void {
    // Unknown, unless a resumed run's: a trace begun before the bridge was active.
    const entry = this.traces.peek(s.traceId) ?? this.resumedEntry(s.traceId);
    if (!entry) return;
    const parent = s.parentId ?? s.traceId;
    if (parent === entry.resumes?.agentSpanId && !this.nodes.peek(parent)) this.continueAgent(entry, s.traceId, parent);
    const type = s.spanData?.type;
    const at = now();
    const node: Node = { parent, traceId: s.traceId };
    if (type === 'task') {
      const outer = this.runAbove(parent);
      node.run = { startTime: at, where: this.whereFor(parent) ?? entry.where, totals: new RunTotals(), outer, attributes: outer ? undefined : entry.attributes, handle: takeHandle(entry) };
    } else if (type === 'agent') this.startAgent(node, s, entry, at);
    else if (type === 'response' || type === 'generation') node.model = { startTime: at, observed: false };
    else {
      const shape = shapeOf(s.spanData);
      const where = shape && this.whereFor(parent);
      if (shape && where) node.out = this.open(where, shape, at);
    }
    this.nodes.set(s.spanId, node);
  }

  /**
   * Before 0.14 a resumed run makes no agent span: its spans hang under the interrupted run's, still open
   * (the state's). That span opens the resumed run's root, as its first agent's would.
   */
  private continueAgent(entry: TraceEntry, traceId: string, spanId: string): void {
    const node: Node = { parent: traceId, traceId, continues: true };
    this.startAgent(node, { spanId, traceId, spanData: { type: 'agent', name: entry.resumes?.agentName } }, entry, entry.startTime);
    this.nodes.set(spanId, node);
  }

  /** The run's first agent opens its root; later ones (handoffs) are the root's children. */
  private startAgent(node: Node, s: SdkSpan, entry: TraceEntry, at: number): void {
    const shape = agentShape(str(s.spanData.name));
    const host = this.hostOf(node.parent, entry);
    if (!host) return;
    if ('run' in host && !host.run.root) {
      shape.attributes[A.agentsTraceId] = s.traceId;
      if (host.run.attributes) Object.assign(shape.attributes, host.run.attributes);
      let links: Link[] | undefined;
      if (entry.resumes && !host.run.outer) {
        shape.attributes[A.agentsResumed] = true;
        const from = this.interrupted.peek(s.traceId);
        if (from) links = [{ context: from, attributes: { 'spanlens.link': 'resumes' } }];
      }
      host.run.root = this.open(host.run.where, shape, host.run.startTime, links);
      node.out = host.run.root;
      if (host.run.handle) {
        host.run.handle.root = host.run.root.span;
        host.run.handle.traceId = s.traceId;
      }
      node.merged = true;
      return;
    }
    node.out = this.open('run' in host ? { ctx: host.run.root!.ctx } : host, shape, at);
  }

  private endSpan(s: SdkSpan): void {
    const node = this.nodes.peek(s.spanId);
    if (!node) return;
    this.nodes.delete(s.spanId);
    const type = s.spanData?.type;
    const entry = this.traces.peek(node.traceId);
    if (node.run) {
      if (node.run.root) applyEnd(node.run.root.span, s, this.env.content);
      this.endRun(node.run);
      if (entry?.untracked && !node.run.outer) this.traces.delete(node.traceId);
      return;
    }
    if (node.model) {
      if (entry) noteCalls(entry, s);
      if (!node.model.observed) this.emitModelCall(node, node.model, s);
      return;
    }
    if (!node.out) return;
    const call = type === 'function' && entry ? takeCall(entry, s) : undefined;
    applyEnd(node.out.span, s, this.env.content, call?.callId);
    if (call?.pending) node.out.span.setAttribute(A.toolApproval, approvalRejected(s) ? 'rejected' : 'approved');
    if (node.continues && entry) this.endTraceRun(node.traceId, entry);
    if (!node.merged) node.out.span.end(now());
  }

  /** The run of a trace without task spans ends before its trace does (a resumed run's continued agent span, a failure). */
  private endTraceRun(traceId: string, entry: TraceEntry): void {
    const run = entry.run;
    entry.run = undefined; // a later run in the same trace starts its own
    if (entry.untracked) this.traces.delete(traceId);
    this.closeOpen(traceId);
    this.endRun(run);
  }

  /**
   * The spans of a trace still open when its run ends: before 0.14 an interrupted run leaves its agent spans
   * open (the SDK continues them when the run is resumed; the resumed run's root then stands for them).
   * They end with the run, or marked with `reason` (a run cut short).
   */
  private closeOpen(traceId: string, reason?: string): void {
    for (const [id, node] of [...this.nodes.entries()]) {
      if (node.traceId !== traceId) continue;
      this.nodes.delete(id);
      if (reason) this.endNode(node, reason);
      else if (node.out && !node.merged) node.out.span.end(now());
    }
  }

  /** A model call our hook did not see: its chat span from the SDK's data, under its agent, counted in its run. */
  private emitModelCall(node: Node, model: ModelCallNode, s: SdkSpan): void {
    const where = this.whereFor(node.parent);
    if (where) emitSdkModelSpan(this.env, where, s, model.startTime, now(), this.runAbove(node.parent)?.totals);
  }

  /** The nearest run (a task, or a trace without tasks) or exported span above `id`. */
  private hostOf(id: string, entry: TraceEntry): { run: Run } | Where | undefined {
    let cur = id;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const n = this.nodes.peek(cur);
      if (!n) break;
      if (n.run) return { run: n.run };
      if (n.out) return { ctx: n.out.ctx };
      cur = n.parent;
    }
    // Reached the trace itself: an SDK without task spans, whose trace is the run.
    if (this.traces.peek(cur) === entry)
      return { run: (entry.run ??= { startTime: entry.startTime, where: entry.where, attributes: entry.attributes, totals: new RunTotals(), handle: takeHandle(entry) }) };
    return undefined;
  }

  /** The innermost run above `id` (a task; on SDKs without task spans, the trace's run). */
  private runAbove(id: string): Run | undefined {
    let cur = id;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const n = this.nodes.peek(cur);
      if (!n) break;
      if (n.run) return n.run;
      cur = n.parent;
    }
    return this.traces.peek(cur)?.run;
  }

  /** Where a child of `id` starts: the nearest exported span above it, else its run's place. */
  private whereFor(id: string): Where | undefined {
    let cur = id;
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const n = this.nodes.peek(cur);
      if (!n) break;
      if (n.out) return { ctx: n.out.ctx };
      if (n.run) return n.run.root ? { ctx: n.run.root.ctx } : n.run.where;
      cur = n.parent;
    }
    const entry = this.traces.peek(cur);
    if (!entry) return undefined;
    return entry.run?.root ? { ctx: entry.run.root.ctx } : entry.where;
  }

  private open(where: Where, shape: Shape, startTime: number, links?: Link[]): Out {
    const span = startAt(this.env, where, shape.name, { kind: INTERNAL, startTime, attributes: shape.attributes, ...(links ? { links } : {}) });
    return { span, ctx: trace.setSpan('ctx' in where ? where.ctx : ROOT_CONTEXT, span) };
  }

  private endRun(run: Run | undefined, reason?: string): void {
    const root = run?.root;
    if (!root) return;
    run.root = undefined;
    run.outer?.totals.addRun(run.totals);
    run.totals.apply(root.span);
    const handle = run.handle;
    // Ended by the SDK before the app has its outcome: the wrapper ends it (at this time) when it has.
    if (handle && !handle.settled && !reason) {
      handle.sdkEndedAt = now();
      return;
    }
    if (reason) root.span.setAttribute(A.agentsEndReason, reason);
    if (handle) handle.end(now());
    else root.span.end(now());
  }

  /** Every open span of an SDK trace ends, marked (a streamed run whose stream was collected while open). */
  endTrace(traceId: string, reason: string): void {
    this.safely(() => {
      this.closeOpen(traceId, reason);
      const entry = this.traces.peek(traceId);
      this.traces.delete(traceId);
      this.endRun(entry?.run, reason);
    });
  }

  /**
   * The app has the run's outcome (RunHost). The SDK never ends some runs: a failed one before 0.14 (without
   * task spans its trace, which is the run, ends only when the run succeeded) and a resumed run it announced
   * no trace for (see Resumption): those end now, their totals on the root. An interrupted run's root is
   * remembered for the run that resumes it.
   */
  runSettled(handle: RunHandle, failed: boolean, stream: boolean): void {
    this.safely(() => {
      if (handle.interrupted && handle.traceId && handle.root) this.interrupted.set(handle.traceId, handle.root.spanContext());
      if (handle.sdkEndedAt !== undefined || handle.traceId === undefined) return;
      const entry = this.traces.peek(handle.traceId);
      if (!entry || entry.run?.handle !== handle) return;
      if (entry.untracked || (failed && !stream)) this.endTraceRun(handle.traceId, entry);
    });
  }

  private endNode(node: Node, reason: string): void {
    if (node.run) return this.endRun(node.run, reason);
    if (!node.out || node.merged) return;
    node.out.span.setAttribute(A.agentsEndReason, reason);
    node.out.span.end(now());
  }

  private safely(work: () => void): void {
    try {
      work();
    } catch (err) {
      this.env.diag.error('spanlens: internal error in the Agents SDK bridge', err);
    }
  }
}

/** A finished model call's function calls (its response's output items, or a generation's, when the data records them). */
function noteCalls(entry: TraceEntry, s: SdkSpan): void {
  for (const raw of arr(obj(s.spanData._response)?.output ?? s.spanData.output)) {
    const item = obj(raw);
    const callId = str(item?.call_id) ?? str(item?.callId);
    if (item?.type !== 'function_call' || !callId) continue;
    entry.calls.push({ name: str(item.name) ?? '', args: str(item.arguments), callId });
    if (entry.calls.length > MAX_PENDING_CALLS) entry.calls.shift();
  }
}

/** The call a function span ran, by name and arguments (a rejected call's span has no input: by name). */
function takeCall(entry: TraceEntry, s: SdkSpan): FunctionCall | undefined {
  const name = str(s.spanData.name);
  const input = str(s.spanData.input);
  const i = entry.calls.findIndex((c) => c.name === name && (!input || c.args === input));
  return i < 0 ? undefined : entry.calls.splice(i, 1)[0];
}

/** The trace's handle goes to its first run (a nested run, an agent used as a tool, claims its own). */
function takeHandle(entry: TraceEntry): RunHandle | undefined {
  const handle = entry.handle ?? claimRun(context.active());
  entry.handle = undefined;
  return handle;
}
