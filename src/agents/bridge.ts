import { ROOT_CONTEXT, context, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
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
import { claimRun, type RunHandle, type RunHost } from './runner';
import { emitSdkModelSpan } from './sdk-model-span';
import { agentShape, applyEnd, shapeOf, type Shape } from './span-shapes';

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
  private chains?: ChainLookup;

  /** New options (`chains`: the Responses tracker's response chains): what is open ends, marked. */
  configure(env: Services, chains?: ChainLookup): void {
    if (this.nodes) this.endAll('reconfigured');
    this.env = env;
    this.chains = chains;
    this.traces = new BoundedMap(env.maxEntities, (_id, entry) => this.endRun(entry.run, 'evicted'));
    this.nodes = new BoundedMap(env.maxEntities, (_id, node) => this.endNode(node, 'evicted'));
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
      const { where, attributes } = placeRun(this.env, t, ctx, this.chains);
      this.traces.set(t.traceId, { startTime: now(), where, attributes, calls: [], handle: claimRun(ctx) });
    });
  }

  async onTraceEnd(t: SdkTrace): Promise<void> {
    this.safely(() => {
      const entry = this.traces.peek(t.traceId);
      if (!entry) return;
      this.traces.delete(t.traceId);
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
    const entry = this.traces.peek(s.traceId);
    if (!entry) return; // a trace begun before the bridge was active
    const parent = s.parentId ?? s.traceId;
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

  /** The run's first agent opens its root; later ones (handoffs) are the root's children. */
  private startAgent(node: Node, s: SdkSpan, entry: TraceEntry, at: number): void {
    const shape = agentShape(str(s.spanData.name));
    const host = this.hostOf(node.parent, entry);
    if (!host) return;
    if ('run' in host && !host.run.root) {
      shape.attributes[A.agentsTraceId] = s.traceId;
      if (host.run.attributes) Object.assign(shape.attributes, host.run.attributes);
      host.run.root = this.open(host.run.where, shape, host.run.startTime);
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
      return this.endRun(node.run);
    }
    if (node.model) {
      if (entry) noteCalls(entry, s);
      if (!node.model.observed) this.emitModelCall(node, node.model, s);
      return;
    }
    if (!node.out) return;
    const callId = type === 'function' && entry ? takeCallId(entry, s) : undefined;
    applyEnd(node.out.span, s, this.env.content, callId);
    if (!node.merged) node.out.span.end(now());
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

  private open(where: Where, shape: Shape, startTime: number): Out {
    const span = startAt(this.env, where, shape.name, { kind: INTERNAL, startTime, attributes: shape.attributes });
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
      for (const [id, node] of [...this.nodes.entries()]) {
        if (node.traceId !== traceId) continue;
        this.nodes.delete(id);
        this.endNode(node, reason);
      }
      const entry = this.traces.peek(traceId);
      this.traces.delete(traceId);
      this.endRun(entry?.run, reason);
    });
  }

  /**
   * The app got a failed run's error. An SDK without task spans (before 0.14) ends its trace, which is the
   * run, only when the run succeeded: the run ends now, its totals on the root (with task spans the task's
   * end is the run's, failed or not).
   */
  runFailed(handle: RunHandle): void {
    this.safely(() => {
      const entry = handle.traceId === undefined ? undefined : this.traces.peek(handle.traceId);
      const run = entry?.run;
      if (!entry || !run || run.handle !== handle) return;
      entry.run = undefined; // a later run in the same (app's) trace starts its own
      this.endRun(run);
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

function takeCallId(entry: TraceEntry, s: SdkSpan): string | undefined {
  const name = str(s.spanData.name);
  const input = str(s.spanData.input);
  const i = entry.calls.findIndex((c) => c.name === name && (input === undefined || c.args === input));
  return i < 0 ? undefined : entry.calls.splice(i, 1)[0]!.callId;
}

/** The trace's handle goes to its first run (a nested run, an agent used as a tool, claims its own). */
function takeHandle(entry: TraceEntry): RunHandle | undefined {
  const handle = entry.handle ?? claimRun(context.active());
  entry.handle = undefined;
  return handle;
}
