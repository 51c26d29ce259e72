import type { Attributes } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { obj, str, type Obj } from '../util/json';
import { requestParameters, serverAttributes } from '../trace/call-attributes';

/** What a response's span says about where it lives (see ResponseTracker.place). */
export interface ResponseIdentity {
  id: string;
  /** The OpenAI conversation it is part of. */
  conversationId?: string;
  /** The response chain it continues (previous_response_id): the chain's first response id this process knows. */
  chainId?: string;
}

/**
 * A response span's attributes at its start, all the sampler sees: an inference span (`chat`, the
 * requested model, `openai.api.type=responses`) whatever it later returns, with what the request asked for.
 * `who` is undefined for a create that gave no response (it failed): the same span, named by its request.
 */
export function responseStartAttributes(client: object, who: ResponseIdentity | undefined, request: Obj | undefined, response: Obj): Attributes {
  const attributes: Attributes = {
    ...serverAttributes(client),
    [A.kind]: 'agent_step',
    [A.operation]: 'chat',
    [A.apiType]: 'responses',
  };
  if (who) Object.assign(attributes, { [A.responseId]: who.id }, identityAttributes(who));
  const model = str(request?.model) ?? str(response.model);
  if (model) attributes[A.requestModel] = model;
  const previous = str(response.previous_response_id) ?? str(request?.previous_response_id);
  if (previous) attributes[A.previousResponseId] = previous;
  if (response.background === true || request?.background === true) attributes[A.responseBackground] = true;
  if (request?.stream === true) attributes[A.requestStream] = true;
  const tier = str(request?.service_tier);
  if (tier) attributes[A.requestServiceTier] = tier;
  const format = str(obj(obj(request?.text)?.format)?.type);
  const outputType = format === 'json_schema' || format === 'json_object' ? 'json' : format === 'text' ? 'text' : undefined;
  if (outputType) attributes[A.outputType] = outputType;
  requestParameters(request, attributes);
  return attributes;
}

/**
 * The conversation attributes of a response and its derived spans: a real conversation id, or the id of
 * the response chain it continues; a standalone response has none (its own id is not a conversation).
 */
export function identityAttributes(who: ResponseIdentity): Attributes {
  if (who.conversationId) return { [A.conversationId]: who.conversationId };
  return who.chainId ? { [A.conversationId]: who.chainId } : {};
}
