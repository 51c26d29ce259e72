import type { Span } from '@opentelemetry/api';
import type { CallTotalsSink } from '../calls/observed-call';
import { nanosToUsd } from '../cost';
import { readUsage } from '../cost/usage';
import { A } from '../trace/attributes';

type Cost = Parameters<CallTotalsSink['add']>[1];

/**
 * An agent run's usage and cost: the sum of its model calls (each our Responses / chat span, accounted
 * there; tool fees are in each call's cost) and of the runs nested in it (an agent used as a tool). Put on
 * the run's root when it ends. Tokens only when every call reported usage, cost only when every call was
 * priced: a partial sum would read as the total (a call made from the SDK's data may carry no usage).
 */
export class RunTotals implements CallTotalsSink {
  private calls = 0;
  private unpriced = 0;
  private unmeasured = 0;
  private input = 0;
  private output = 0;
  private cached = 0;
  private reasoning = 0;
  private costInput = 0;
  private costOutput = 0;
  private costTools = 0;
  private costTotal = 0;

  add(usage: unknown, cost: Cost): void {
    const u = readUsage(usage);
    this.calls++;
    if (u.input === undefined && u.output === undefined) this.unmeasured++;
    this.input += u.input ?? 0;
    this.output += u.output ?? 0;
    this.cached += u.cachedInput ?? 0;
    this.reasoning += u.reasoning ?? 0;
    if (!cost) {
      this.unpriced++;
      return;
    }
    this.costInput += cost.input;
    this.costOutput += cost.output;
    this.costTools += cost.tools;
    this.costTotal += cost.total;
  }

  /** A nested run's totals, counted in its enclosing run's. */
  addRun(inner: RunTotals): void {
    this.calls += inner.calls;
    this.unpriced += inner.unpriced;
    this.unmeasured += inner.unmeasured;
    this.input += inner.input;
    this.output += inner.output;
    this.cached += inner.cached;
    this.reasoning += inner.reasoning;
    this.costInput += inner.costInput;
    this.costOutput += inner.costOutput;
    this.costTools += inner.costTools;
    this.costTotal += inner.costTotal;
  }

  apply(span: Span): void {
    if (this.calls === 0) return;
    span.setAttribute(A.agentModelCalls, this.calls);
    if (this.unmeasured) return;
    span.setAttribute(A.inputTokens, this.input);
    span.setAttribute(A.outputTokens, this.output);
    if (this.cached) span.setAttribute(A.cachedInputTokens, this.cached);
    if (this.reasoning) span.setAttribute(A.reasoningTokens, this.reasoning);
    if (this.unpriced) return;
    span.setAttribute(A.costUsd, nanosToUsd(this.costTotal));
    span.setAttribute(A.costInputUsd, nanosToUsd(this.costInput));
    span.setAttribute(A.costOutputUsd, nanosToUsd(this.costOutput));
    span.setAttribute(A.costToolsUsd, nanosToUsd(this.costTools));
  }
}
