import type { Attributes, Context, Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { CLIENT, callAttributes } from '../trace/call-attributes';
import { markThrown, thrownErrorType } from '../trace/errors';
import { costAttributes } from '../cost/cost-model';
import { usageAttributes } from '../cost/usage';
import { recordOperation, usageMeasure } from '../cost/metrics';
import type { CostNanos } from '../cost/pricing';
import type { ClientLike, ObservedCall } from '../calls/observed-call';
import type { Route } from '../calls/routes';
import { arr, obj, str, type Obj } from '../util/json';
import type { Services } from '../services';

/*
 * A Decision (the Decisions API: a model answers typed questions about an input with probabilities, no
 * prose) is one model call with token usage: a GenAI `chat {model}` span. The conventions' operation
 * names have nothing closer (`chat` is the model-call operation the OpenAI conventions use; `generate_content`
 * is multimodal generation, the others are not inference), so dashboards and the cost counter group it with
 * the app's other model calls; `spanlens.subtype: decision` and `gen_ai.output.type: json` (typed answers)
 * tell it apart. One mapping for both transports: `POST /decisions` (`client.decisions.create`) and a Live
 * session's Decisions evaluations (a delegation, the app's `decision.create`, a transcript trigger), whose
 * `decision.completed` event carries the same Decision object.
 */

/** What the span of a decision starts with: the requested model and how many questions were asked. */
export function decisionAttributes(requestModel: string | undefined, questions: number | undefined): Attributes {
  const attrs: Attributes = { [A.operation]: 'chat', [A.kind]: 'llm', [A.subtype]: 'decision', [A.outputType]: 'json' };
  if (requestModel) attrs[A.requestModel] = requestModel;
  if (questions) attrs['spanlens.decision.question.count'] = questions;
  return attrs;
}

/** `chat {model}`, or `chat` while the model is not known (the conventions' name without a model). */
export const decisionSpanName = (model: string | undefined): string => (model ? `chat ${model}` : 'chat');

export interface DecisionEnd {
  requestModel?: string;
  client: ClientLike;
  startTime: number;
  endTime: number;
  /** The call failed (no Decision): the one error rule marks the span, the failed operation is measured. */
  error?: unknown;
}

/**
 * The Decision on its span (answering model, usage, cost, answers under the content rules), its operation
 * metrics, then the span's end. Returns its cost (undefined: no usage, or no price for the model, warned once).
 */
export function endDecision(env: Services, span: Span, decision: Obj | undefined, end: DecisionEnd): CostNanos | undefined {
  const metrics = env.metrics();
  const seconds = Math.max(0, end.endTime - end.startTime) / 1000;
  if (end.error !== undefined) {
    markThrown(span, end.error);
    if (metrics) recordOperation(metrics, { operation: 'chat', requestModel: end.requestModel, client: end.client, errorType: thrownErrorType(end.error), seconds });
    span.end(end.endTime);
    return undefined;
  }
  let cost: CostNanos | undefined;
  if (decision) {
    const model = str(decision.model) ?? end.requestModel;
    if (model) span.setAttribute(A.responseModel, model);
    // A span started before its model was known (a trigger's) takes the answering model's name.
    if (!end.requestModel && model) span.updateName(decisionSpanName(model));
    const usage = usageAttributes(decision.usage);
    span.setAttributes(usage);
    const answers = arr(decision.answers).map(obj);
    span.setAttribute('spanlens.decision.answer.count', answers.length);
    const refusals = answers.filter((a) => a?.type === 'refusal').length;
    if (refusals) span.setAttribute('spanlens.decision.refusal.count', refusals);
    const captured = env.content.capture('spanlens.decision.answers', decision.answers);
    if (captured !== undefined) span.setAttribute('spanlens.decision.answers', captured);
    cost = env.cost.of(model, decision.usage);
    if (cost) span.setAttributes(costAttributes(cost));
    if (metrics)
      recordOperation(metrics, {
        operation: 'chat',
        requestModel: end.requestModel,
        responseModel: model,
        client: end.client,
        seconds,
        ...usageMeasure(decision.usage, cost),
      });
  }
  span.end(end.endTime);
  return cost;
}

/** `POST /decisions` (`client.decisions.create`): the decision's span in the app's trace. */
export function decisionSpan(env: Services, call: ObservedCall, route: Route, body: Obj | undefined): void {
  const request = obj(call.options?.body);
  const model = str(request?.model);
  const attributes = { ...callAttributes(call, route), ...decisionAttributes(model, arr(request?.questions).length) };
  const span = env.tracer().startSpan(decisionSpanName(model), { kind: CLIENT, startTime: call.startTime, attributes }, call.ambient);
  endDecision(env, span, body, { requestModel: model, client: call.client, startTime: call.startTime, endTime: call.endTime, error: call.error });
}

/**
 * A Live session's decision: a child of the session span (`parent`), timed from what started it. `named`:
 * the model to name it by when none was requested (a trigger's span, started once its answer is known).
 */
export function startDecisionSpan(env: Services, parent: Context, requestModel: string | undefined, startTime: number, attributes: Attributes, named = requestModel): Span {
  return env.tracer().startSpan(decisionSpanName(named), { kind: CLIENT, startTime, attributes: { ...attributes, ...decisionAttributes(requestModel, undefined) } }, parent);
}
