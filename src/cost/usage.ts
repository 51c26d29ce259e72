import type { Attributes } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { num, obj } from '../util/json';

/** Token counts of a usage object; `cachedInput` and `reasoning` are parts of input and output. */
export interface Usage {
  input?: number;
  output?: number;
  cachedInput?: number;
  reasoning?: number;
}

/**
 * The one reader of API usage objects: Assistants' prompt/completion naming and Responses'
 * input/output naming. Spans, cost and metrics all take their numbers from here.
 */
export function readUsage(usage: unknown): Usage {
  const u = obj(usage);
  if (!u) return {};
  return {
    input: num(u.prompt_tokens) ?? num(u.input_tokens),
    output: num(u.completion_tokens) ?? num(u.output_tokens),
    cachedInput: num(obj(u.prompt_token_details)?.cached_tokens) ?? num(obj(u.input_tokens_details)?.cached_tokens),
    reasoning: num(obj(u.completion_tokens_details)?.reasoning_tokens) ?? num(obj(u.output_tokens_details)?.reasoning_tokens),
  };
}

/** gen_ai.usage.* attributes of a usage object. */
export function usageAttributes(usage: unknown): Attributes {
  const u = readUsage(usage);
  const attrs: Attributes = {};
  if (u.input !== undefined) attrs[A.inputTokens] = u.input;
  if (u.output !== undefined) attrs[A.outputTokens] = u.output;
  if (u.cachedInput !== undefined) attrs[A.cachedInputTokens] = u.cachedInput;
  if (u.reasoning !== undefined) attrs[A.reasoningTokens] = u.reasoning;
  return attrs;
}
