import type { Attributes } from '@opentelemetry/api';
import { A } from './attributes';
import { num, obj } from './json';

/** gen_ai.usage.* from an Assistants usage object (prompt/completion naming; Responses' input/output naming too). */
export function usageAttributes(usage: unknown): Attributes {
  const u = obj(usage);
  if (!u) return {};
  const attrs: Attributes = {};
  const input = num(u.prompt_tokens) ?? num(u.input_tokens);
  const output = num(u.completion_tokens) ?? num(u.output_tokens);
  if (input !== undefined) attrs[A.inputTokens] = input;
  if (output !== undefined) attrs[A.outputTokens] = output;
  const cached = num(obj(u.prompt_token_details)?.cached_tokens) ?? num(obj(u.input_tokens_details)?.cached_tokens);
  if (cached !== undefined) attrs[A.cachedInputTokens] = cached;
  const reasoning =
    num(obj(u.completion_tokens_details)?.reasoning_tokens) ?? num(obj(u.output_tokens_details)?.reasoning_tokens);
  if (reasoning !== undefined) attrs[A.reasoningTokens] = reasoning;
  return attrs;
}
