import { context, createContextKey, trace, type Context, type Span } from '@opentelemetry/api';
import type { Services } from '../services';
import { A } from '../trace/attributes';
import { INTERNAL } from '../trace/call-attributes';
import { markError, thrownErrorType } from '../trace/errors';
import { now } from '../util/clock';
import { arr, obj, str } from '../util/json';
import { runOptionsContext } from './run-options';
import { agentShape, approvalAttributes } from './span-shapes';

// The wrapper around `Runner.prototype.run` (the `run()` helper goes through it). It changes nothing the app
// sees: the same promise outcome (the same result or stream object, the same error object, rethrown as is).
// It hands the bridge a RunHandle through the OTel context, so the run that call opens keeps its root open
// until the app's promise settles (a streamed run: until its `completed` settles) and the root can carry
// the error class the app got and how a stream ended.

const HANDLE = createContextKey('spanlens.agents.run');

/** The parts of the bridge the wrapper uses. */
export interface RunHost {
  active(): boolean;
  services(): Services;
  /** A run's stream was garbage-collected before it ended: what is still open of its trace ends, marked. */
  endTrace(traceId: string, reason: string): void;
  /**
   * The app has the run's outcome and the SDK has not ended the run: it never will when the run failed
   * (before 0.14) or resumed a RunState without starting a trace (see Resumption).
   */
  runSettled(handle: RunHandle, failed: boolean, stream: boolean): void;
}

/**
 * A run resumed from a `RunState` (after the app approved or rejected the tool calls that interrupted it):
 * the SDK trace the state kept, whose id the resumed run keeps. In process the state holds a copy of the
 * trace already marked started, so the SDK announces no trace start or end to its processors; a state read
 * back with `RunState.fromString` starts its trace again (same id). Before 0.14 the interrupted run's agent
 * span is left open and the resumed run's spans hang under it (`agentSpanId`), ended at the resumed run's end.
 */
export interface Resumption {
  traceId: string;
  groupId?: string | null;
  /** The state's agent span if still open: the resumed run continues it. */
  agentSpanId?: string;
  agentName?: string;
  /** The function calls that awaited the app's decision (the state's interruptions). */
  pending: { name: string; callId: string; args?: string }[];
}

/** One Runner.run call and the root of the run it opened (claimed by the bridge, or the wrapper's own). */
export class RunHandle {
  claimed = false;
  settled = false;
  ended = false;
  root?: Span;
  traceId?: string;
  /** When the SDK ended the run, if before the app's promise settled: the root ends at that time. */
  sdkEndedAt?: number;
  /** The RunState this call resumes. */
  resumes?: Resumption;
  /** The run stopped for the app's approval of tool calls (its result's interruptions). */
  interrupted = false;

  constructor(private readonly host: RunHost) {}

  /**
   * The app got its outcome: the root gets the real error class (or how its stream ended, or the approvals
   * the run stopped for) and ends.
   */
  settle(failed: boolean, error: unknown, reason: string | undefined, stream: boolean, result?: unknown): void {
    if (this.settled) return;
    this.settled = true;
    const root = this.root;
    if (!root || this.ended) return;
    if (failed) {
      const message = str((error as { message?: unknown } | null)?.message);
      markError(root, thrownErrorType(error), this.host.services().content.enabled ? message : undefined);
    }
    if (!failed && !reason) this.noteInterruptions(root, result);
    if (reason) root.setAttribute(A.agentsEndReason, reason);
    this.host.runSettled(this, failed, stream);
    // A streamed run the SDK has not ended yet ends when it does (the bridge sees settled).
    if (this.sdkEndedAt !== undefined || !stream || !this.traceId) this.end(this.sdkEndedAt ?? now());
  }

  /** An interrupted run ends `interrupted` (no error): one `spanlens.tool.approval_requested` event per call awaiting approval. */
  private noteInterruptions(root: Span, result: unknown): void {
    let items: unknown[];
    try {
      items = arr(obj(result)?.interruptions); // a getter of the SDK's result: it must not reach the app if it throws
    } catch {
      return;
    }
    if (items.length === 0) return;
    this.interrupted = true;
    root.setAttribute(A.agentsEndReason, 'interrupted');
    root.setAttribute(A.agentInterruptionCount, items.length);
    for (const item of items) {
      const attributes = approvalAttributes(obj(item));
      if (attributes) root.addEvent('spanlens.tool.approval_requested', attributes);
    }
  }

  end(at: number): void {
    if (this.ended || !this.root) return;
    this.ended = true;
    this.root.end(at);
  }

  /** The stream was collected while its run was open. */
  abandon(): void {
    if (this.ended) return;
    this.root?.setAttribute(A.agentsEndReason, 'abandoned');
    if (this.traceId) this.host.endTrace(this.traceId, 'abandoned');
    this.end(now());
  }
}

/** The handle of the Runner.run call this context is in, once: the first run started in it claims it. */
export function claimRun(ctx: Context): RunHandle | undefined {
  const h = ctx.getValue(HANDLE) as RunHandle | undefined;
  if (!h || h.claimed) return undefined;
  h.claimed = true;
  return h;
}

/** The handle of the Runner.run call this context is in, if it resumes the SDK trace `traceId` and no run claimed it yet. */
export function claimResumingRun(ctx: Context, traceId: string): RunHandle | undefined {
  const h = ctx.getValue(HANDLE) as RunHandle | undefined;
  return h?.resumes?.traceId === traceId ? claimRun(ctx) : undefined;
}

/**
 * A stream the app dropped while its run was still open ends 'abandoned' once collected. The SDK runs an
 * unread stream to its end, so only a stuck run could get here; Node keeps the SDK's combined AbortSignal
 * (and so its stream) alive while listened to, so with 0.20 this is a safety net, not the usual path.
 */
const dropped = new FinalizationRegistry<RunHandle>((h) => h.abandon());

interface RunnerLike {
  config?: { tracingDisabled?: unknown };
}
interface RunOptions {
  stream?: unknown;
}
interface StreamLike {
  completed?: Promise<unknown>;
  cancelled?: unknown;
}
type RunFn = (this: RunnerLike, agent: unknown, input: unknown, ...rest: unknown[]) => Promise<unknown>;

const WRAPPED = Symbol.for('spanlens.agents.runner');

/** Wraps `Runner.prototype.run` of one copy of the SDK (CJS or ESM), once; the wrapper stays, inert while inactive. */
export function patchRunner(moduleExports: unknown, host: RunHost | undefined): void {
  const proto = (moduleExports as { Runner?: { prototype?: Record<PropertyKey, unknown> } } | undefined)?.Runner?.prototype;
  const original = proto?.run;
  if (!host || !proto || typeof original !== 'function' || (original as { [WRAPPED]?: true })[WRAPPED]) return;
  const wrapped = wrapRun(original as RunFn, host);
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  proto.run = wrapped;
}

export function wrapRun(original: RunFn, host: RunHost): RunFn {
  return function run(this: RunnerLike, agent: unknown, input: unknown, ...rest: unknown[]): Promise<unknown> {
    if (!host.active()) return original.call(this, agent, input, ...rest);
    let handle: RunHandle;
    let ctx: Context;
    try {
      handle = new RunHandle(host);
      handle.resumes = resumptionOf(input);
      // The run's options (conversationId, previousResponseId, session) for placement, read at its trace start.
      ctx = runOptionsContext(context.active().setValue(HANDLE, handle), rest[0]);
      if (this?.config?.tracingDisabled === true) ownRoot(handle, host.services(), agent, ctx);
      if (handle.root) ctx = trace.setSpan(ctx, handle.root);
    } catch (err) {
      host.services().diag.error('spanlens: internal error in the Agents SDK run wrapper', err);
      return original.call(this, agent, input, ...rest);
    }
    const stream = (rest[0] as RunOptions | undefined)?.stream === true;
    return context.with(ctx, original, this, agent, input, ...rest).then(
      (result) => {
        if (stream) watchStream(handle, result as StreamLike);
        else handle.settle(false, undefined, undefined, false, result);
        return result;
      },
      (error: unknown) => {
        handle.settle(true, error, undefined, false);
        throw error;
      },
    );
  };
}

/** A streamed run's root ends when its `completed` settles: 'aborted' when the app cancelled or broke out. */
function watchStream(handle: RunHandle, result: StreamLike | undefined): void {
  const completed = result?.completed;
  if (!completed || typeof completed.then !== 'function') return handle.settle(false, undefined, undefined, false);
  dropped.register(result!, handle, handle);
  completed.then(
    () => {
      dropped.unregister(handle);
      handle.settle(false, undefined, result!.cancelled === true ? 'aborted' : undefined, true, result);
    },
    (error: unknown) => {
      dropped.unregister(handle);
      handle.settle(true, error, result!.cancelled === true ? 'aborted' : undefined, true);
    },
  );
}

/** The RunState a run resumes (read, never changed: its trace, open agent span and interruptions), else undefined. */
function resumptionOf(input: unknown): Resumption | undefined {
  try {
    return readResumption(input);
  } catch {
    return undefined; // a state this version does not shape so: the run is traced as a new one
  }
}

function readResumption(input: unknown): Resumption | undefined {
  const state = obj(input);
  if (!state || typeof state.getInterruptions !== 'function') return undefined;
  const trace = obj(state._trace);
  const traceId = str(trace?.traceId);
  if (!traceId || traceId === 'no-op') return undefined;
  const pending: Resumption['pending'] = [];
  for (const item of arr((state.getInterruptions as () => unknown).call(state))) {
    const raw = obj(obj(item)?.rawItem);
    const name = str(raw?.name);
    const callId = str(raw?.callId);
    if (raw?.type === 'function_call' && name && callId) pending.push({ name, callId, args: str(raw.arguments) });
  }
  const span = obj(state._currentAgentSpan);
  const spanId = str(span?.spanId);
  const open = spanId && spanId !== 'no-op' && span?.endedAt == null;
  return {
    traceId,
    groupId: str(trace?.groupId),
    pending,
    ...(open ? { agentSpanId: spanId, agentName: str(obj(span?.spanData)?.name) ?? str(obj(state._currentAgent)?.name) } : {}),
  };
}

/**
 * A Runner built with `tracingDisabled: true` makes no SDK spans at all: the wrapper opens the run's
 * `invoke_agent {starting agent}` itself, in the app's context, so the model calls (our chat spans) and
 * their tools still hang under one root.
 */
function ownRoot(handle: RunHandle, env: Services, agent: unknown, ctx: Context): void {
  const shape = agentShape(str((agent as { name?: unknown } | null)?.name));
  shape.attributes[A.agentsTracingDisabled] = true;
  handle.claimed = true;
  handle.root = env.tracer().startSpan(shape.name, { kind: INTERNAL, attributes: shape.attributes }, ctx);
}
