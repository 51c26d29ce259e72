import type { Attributes, Context } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { BoundedMap } from '../util/bounded-map';
import { str, type Obj } from '../util/json';
import { INTERNAL } from '../trace/call-attributes';
import type { Services } from '../services';
import { placeSpan } from '../trace/placement';
import type { TraceKey } from '../trace/trace-ids';

/** A function call of a completed response, waiting for the app's function_call_output. */
interface PendingCall {
  /** The trace of the response that made the call (its conversation's, chain's or the app's). */
  key: TraceKey | undefined;
  name: string;
  /** Captured (content policy applied) arguments, if content capture is on. */
  args?: string;
  completedAt: number;
  /** Attributes the response's spans share (server, response id, conversation). */
  base: Attributes;
  /** The span the tool work goes under instead (a Realtime session's): no placement by key then. */
  parent?: Context;
}

/**
 * The app's own tool work for a response's function calls. The response's spans end when it completes;
 * when the app later sends a `function_call_output` (the next request's input, or a conversation's
 * items.create), a new `execute_tool {name}` span covers the time from the response's completion to that
 * submission, with the result, in the response's trace (its call id ties it to the function_call item span). Nothing
 * waits: a call never answered simply makes no tool span. At most maxEntities calls are remembered.
 */
export class PendingToolCalls {
  private readonly calls: BoundedMap<string, PendingCall>;

  constructor(private readonly env: Services) {
    this.calls = new BoundedMap(env.maxEntities);
  }

  /** A completed response's function_call item (its span already ended). */
  add(item: Obj, key: TraceKey | undefined, completedAt: number, base: Attributes, parent?: Context): void {
    const callId = str(item.call_id);
    if (!callId) return;
    const name = str(item.name) ?? 'function';
    this.calls.set(callId, { key, name, args: this.env.content.capture(A.toolArguments, str(item.arguments) ?? str(item.input)), completedAt, base, parent });
  }

  /** A function_call_output the app sent at `at` (in context `ambient`): the tool span of its call (once per call id). */
  output(item: Obj, at: number, ambient?: Context): void {
    const callId = str(item.call_id);
    const call = callId === undefined ? undefined : this.calls.peek(callId);
    if (!callId || !call) return;
    this.calls.delete(callId);
    const attributes: Attributes = {
      ...call.base,
      [A.kind]: 'tool',
      [A.subtype]: 'function',
      [A.operation]: 'execute_tool',
      [A.toolName]: call.name,
      [A.toolType]: 'function',
      [A.toolCallId]: callId,
    };
    if (call.args !== undefined) attributes[A.toolArguments] = call.args;
    const output = item.output;
    const result = this.env.content.capture(A.toolResult, typeof output === 'string' ? output : JSON.stringify(output ?? null));
    if (result !== undefined) attributes[A.toolResult] = result;
    const startTime = Math.min(call.completedAt, at);
    // No span link to the call's item span: Jaeger takes a link within the same trace for a parent, and
    // this span lies after it (a clock-skew warning on every tool). gen_ai.tool.call.id ties the two.
    // No caller link either: the call that carried the output is not the tool's caller.
    const options = { kind: INTERNAL, startTime, attributes };
    const name = `execute_tool ${call.name}`;
    const span = call.parent ? this.env.tracer().startSpan(name, options, call.parent) : placeSpan(this.env, call.key, ambient, name, options, false);
    span.end(Math.max(startTime, at));
  }
}
