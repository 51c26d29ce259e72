import { ROOT_CONTEXT, SpanKind, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { Services } from '../services';
import type { RealtimeSession, SessionOwner } from '../realtime/realtime-session';
import { A } from '../trace/attributes';
import { markError } from '../trace/errors';
import { BoundedMap } from '../util/bounded-map';
import { now } from '../util/clock';
import { arr, obj, str, type Obj } from '../util/json';
import type { SdkSpan, SpanData } from './sdk';
import { agentShape, applyEnd, approvalAttributes, shapeOf } from './span-shapes';

/*
 * A voice agent session (`@openai/agents-realtime`'s `RealtimeSession`) as agents around its Realtime
 * spans. The SDK makes no local trace spans for it (its traces are OpenAI's, server side), so this reads
 * the session's own events (hook/agents-realtime.ts observes its `emit`, before the app's listeners) and
 * shapes them with the Agents SDK bridge's one mapping (span-shapes.ts):
 *
 *   realtime {model}                 the connection (realtime/realtime-session.ts)
 *   └ invoke_agent {agent}           one per current agent: opened by its first response (or a handoff to
 *     │                              it), ended by the next handoff (once its open responses and tools
 *     │                              ended: the SDK may act on a call before its response is done) or the
 *     │                              session's end
 *     ├ chat {model}                 each response, under the agent current when it began
 *     ├ execute_tool {tool}          agent_tool_start … agent_tool_end (after the response's end: a sibling);
 *     │                              the tool runs with it active (hook/agents-realtime.ts), so its own
 *     │                              openai calls and the app's spans are its children
 *     ├ guardrail {name}             an output guardrail's trip (passes are not observable, below)
 *     └ handoff {from} → {to}        at agent_handoff
 *
 * Approvals: `tool_approval_requested` and the app's `approve` / `reject` (the hook sees the calls) are
 * events on the agent's span; the call's execute_tool, started by the SDK right after the decision, carries
 * it, and a rejected one fails as the SDK's function span of a rejected call in an agent run does. A hosted
 * MCP server's calls and approval requests are items of their response (the Realtime mapping's item spans).
 *
 * Passing guardrails: the session copies its `outputGuardrails` option into a private field at
 * construction (each bound to the `execute` it had then) and reports only a trip; a `RealtimeAgent` takes none
 * (its configuration omits them). Seeing a pass would mean replacing the app's guardrail objects or the exported
 * session class before that copy — changing what the app holds — so passes are not recorded.
 *
 * `agent_start` fires once per response, so it only makes sure its agent is the open one. A tool that
 * throws gets no `agent_tool_end`, only an `error` event: the one open tool then ends failed. Everything
 * still open ends with the session (close, the server's close, shutdown), marked unless the app closed it.
 * Nothing here throws into the SDK (the hook guards each call) or waits.
 */

/** Tools of one session running at once (a response's parallel calls); past it the oldest ends `evicted`. */
const MAX_OPEN_TOOLS = 64;
/** Decisions on calls not started yet (each starts right after its decision; the bound is a safety net). */
const MAX_DECISIONS = 64;

type Decision = 'approved' | 'rejected';

/** The SDK's message and detail on a rejected call's function span in an agent run (the text path), reused. */
const REJECTED = 'Tool execution was not approved.';

interface OpenAgent {
  agent: unknown;
  span: Span;
  ctx: Context;
  /** Its responses and tools still running (its span outlasts them). */
  running: number;
}

interface OpenTool {
  span: Span;
  owner: OpenAgent;
  decision?: Decision;
}

export class VoiceAgents implements SessionOwner {
  private session?: RealtimeSession;
  private env?: Services;
  private current?: OpenAgent;
  /** Agents handed off from while their responses or tools still ran (each ends when they have). */
  private readonly retiring = new Set<OpenAgent>();
  private readonly tools = new BoundedMap<string, OpenTool>(MAX_OPEN_TOOLS, (_id, tool) => {
    markError(tool.span, 'evicted', 'more open tool calls than a session keeps');
    tool.span.end(now());
    this.release(tool.owner, now());
  });

  /** `currentAgent`: the SDK session's current agent (the agent of a response that begins). */
  constructor(private readonly currentAgent: () => unknown) {}

  /** A connection of the session began: its Realtime session (whose end ends this layer's spans). */
  connected(session: RealtimeSession, env: Services): void {
    this.session = session;
    this.env = env;
  }

  responseParent(start: number): Context {
    const open = this.enter(this.currentAgent(), start);
    if (!open) return ROOT_CONTEXT;
    open.running++;
    return open.ctx;
  }

  responseEnded(parent: Context, at: number): void {
    const open = this.current?.ctx === parent ? this.current : [...this.retiring].find((a) => a.ctx === parent);
    if (open) this.release(open, at);
  }

  /** One of the agent's responses or tools ended: a retiring agent with nothing left running ends. */
  private release(open: OpenAgent, at: number): void {
    open.running = Math.max(0, open.running - 1);
    if (open.running === 0 && this.retiring.delete(open)) this.endAgent(open, at);
  }

  /** The app's decisions on function calls that asked for approval, by call id, until the call starts. */
  private readonly decisions = new BoundedMap<string, Decision>(MAX_DECISIONS);

  /** The open `execute_tool` span of a call (agent_tool_start … its end): the span the tool's own work runs in. */
  toolSpan(callId: string): Span | undefined {
    return this.tools.peek(callId)?.span;
  }

  /** One of the SDK session's events, with its arguments, before its listeners get it. */
  event(name: string, args: unknown[]): void {
    if (!this.session || this.session.isEnded) return;
    switch (name) {
      case 'agent_start':
        this.enter(args[1]);
        return;
      case 'agent_handoff':
        return this.handoff(args[1], args[2]);
      case 'agent_tool_start':
        return this.toolStart(args[1], obj(args[2]), obj(obj(args[3])?.toolCall));
      case 'agent_tool_end':
        return this.toolEnd(obj(obj(args[4])?.toolCall), args[3]);
      case 'guardrail_tripped':
        return this.guardrailTripped(args[1], args[2]);
      case 'tool_approval_requested':
        return this.approvalEvent('spanlens.tool.approval_requested', args[1], obj(obj(args[2])?.approvalItem));
      case 'error':
        return this.error(obj(args[0])?.error);
      default:
        return;
    }
  }

  /**
   * The open agent span of `agent` (ending another agent's): the parent of what that agent does. A new one
   * starts at `at` (a response's start: the app's response.create, before the SDK's agent_start).
   */
  private enter(agent: unknown, at = now()): OpenAgent | undefined {
    const session = this.session;
    if (!session || session.isEnded || !this.env) return undefined;
    if (this.current && (this.current.agent === agent || agent === undefined)) return this.current;
    if (this.current?.running) this.retiring.add(this.current);
    else if (this.current) this.endAgent(this.current, at);
    const shape = agentShape(str(obj(agent)?.name));
    const span = this.env.tracer().startSpan(shape.name, { kind: SpanKind.INTERNAL, startTime: at, attributes: shape.attributes }, trace.setSpan(ROOT_CONTEXT, session.span));
    this.current = { agent, span, ctx: trace.setSpan(ROOT_CONTEXT, span), running: 0 };
    return this.current;
  }

  /** A span of the agent's, made from SDK-shaped span data (the bridge's mapping), started now. */
  private child(agent: unknown, data: SpanData): { span: Span; owner: OpenAgent } | undefined {
    const owner = this.enter(agent);
    const shape = shapeOf(data);
    if (!owner || !shape || !this.env) return undefined;
    return { span: this.env.tracer().startSpan(shape.name, { kind: SpanKind.INTERNAL, startTime: now(), attributes: shape.attributes }, owner.ctx), owner };
  }

  /** The open span of `agent` (never switching the current one), else the current agent's. */
  private openOf(agent: unknown): OpenAgent | undefined {
    return [...this.retiring].find((a) => a.agent === agent) ?? this.current;
  }

  /**
   * The app's `approve` / `reject` of an approval item (a function call's or a hosted MCP call's), seen as
   * it is called: an event on its agent's span; a function call's span, started by the SDK right after,
   * says the decision, and a rejected one ends failed as an agent run's does.
   */
  decided(item: unknown, decision: Decision, options: unknown): void {
    if (!this.session || this.session.isEnded) return;
    const approval = obj(item);
    const always = obj(options)?.[decision === 'approved' ? 'alwaysApprove' : 'alwaysReject'] === true;
    const extra: Attributes = { [A.toolApproval]: decision };
    if (always) extra[A.toolApprovalAlways] = true;
    this.approvalEvent('spanlens.tool.approval', approval?.agent, approval, extra);
    const raw = obj(approval?.rawItem);
    const id = str(raw?.callId);
    if (raw?.type === 'function_call' && id) this.decisions.set(id, decision);
  }

  /** An approval's request or decision as an event on its agent's span: the tool, its call or the MCP server. */
  private approvalEvent(name: string, agent: unknown, approval: Obj | undefined, extra: Attributes = {}): void {
    const open = this.openOf(agent);
    const attributes = approvalAttributes(approval, extra);
    if (open && attributes) open.span.addEvent(name, attributes, now());
  }

  private handoff(from: unknown, to: unknown): void {
    const data: SpanData = { type: 'handoff', from_agent: str(obj(from)?.name), to_agent: str(obj(to)?.name) };
    const made = this.child(from, data);
    if (made) this.end(made.span, data);
    this.enter(to);
  }

  private toolStart(agent: unknown, tool: Obj | undefined, call: Obj | undefined): void {
    const id = str(call?.callId);
    if (!id || this.tools.has(id)) return;
    const made = this.child(agent, { type: 'function', name: str(tool?.name) ?? str(call?.name) });
    if (!made) return;
    made.owner.running++;
    const decision = this.decisions.peek(id);
    this.decisions.delete(id);
    if (decision) made.span.setAttribute(A.toolApproval, decision);
    this.tools.set(id, { ...made, decision });
  }

  private toolEnd(call: Obj | undefined, result: unknown): void {
    const id = str(call?.callId);
    const tool = id ? this.tools.peek(id) : undefined;
    if (!tool) return;
    this.tools.delete(id!);
    // A rejected call's output is the SDK's rejection message; its span fails as in an agent run.
    const error = tool.decision === 'rejected' ? { message: REJECTED, data: { error: `Tool execution for ${id!} was manually rejected by user.` } } : undefined;
    this.end(tool.span, { type: 'function', input: str(call?.arguments), output: typeof result === 'string' ? result : undefined }, id, error);
    this.release(tool.owner, now());
  }

  /** A trip (the SDK reports nothing when its guardrails pass): a zero-length span under the agent. */
  private guardrailTripped(agent: unknown, error: unknown): void {
    const name = str(obj(obj(obj(error)?.result)?.guardrail)?.name);
    const data: SpanData = { type: 'guardrail', name, triggered: true };
    const made = this.child(agent, data);
    if (made) this.end(made.span, data);
  }

  /**
   * The SDK reports a tool that threw only as an `error` event (an Error, where a server error is its
   * event object): with exactly one tool open, that one failed. With several the culprit is unknown; they
   * end with the session.
   */
  private error(error: unknown): void {
    if (!(error instanceof Error) || this.tools.size !== 1) return;
    const [[id, tool]] = [...this.tools.entries()];
    this.tools.delete(id);
    this.end(tool.span, { type: 'function' }, id, { message: 'Error running tool', data: { error: String(error) } });
    this.release(tool.owner, now());
  }

  /** Ends a span with what the bridge's mapping puts on it at the end. */
  private end(span: Span, data: SpanData, callId?: string, error?: SdkSpan['error']): void {
    if (this.env) applyEnd(span, { spanId: '', traceId: '', spanData: data, error }, this.env.content, callId);
    span.end(now());
  }

  private endAgent(open: OpenAgent, at: number, reason?: string): void {
    const agent = obj(open.agent);
    const names = (list: unknown, key: (o: Obj) => unknown): string[] =>
      arr(list)
        .map((t) => str(key(obj(t) ?? {})))
        .filter((n): n is string => n !== undefined);
    const data: SpanData = { type: 'agent', tools: names(agent?.tools, (t) => t.name), handoffs: names(agent?.handoffs, (h) => h.agentName ?? h.name) };
    if (this.env) applyEnd(open.span, { spanId: '', traceId: '', spanData: data }, this.env.content);
    if (reason) open.span.setAttribute(A.agentsEndReason, reason);
    open.span.end(at);
  }

  ended(reason: string, at: number): void {
    const byApp = reason === 'closed';
    for (const [id, { span }] of [...this.tools.entries()]) {
      this.tools.delete(id);
      span.setAttribute(A.agentsEndReason, reason);
      markError(span, byApp ? 'aborted' : reason, 'the session ended before the tool did');
      span.end(at);
    }
    for (const open of [...this.retiring, ...(this.current ? [this.current] : [])]) this.endAgent(open, at, byApp ? undefined : reason);
    this.retiring.clear();
    for (const id of [...this.decisions.entries()].map(([k]) => k)) this.decisions.delete(id);
    this.current = undefined;
    this.session = undefined;
  }
}
