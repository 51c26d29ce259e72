import type { AssistantTool, WireMessage, WireUsage } from './types';

// Token estimates: about four characters per token, a few tokens of framing per message, and a flat
// price for images. Good enough to look like real usage and stay deterministic.

const PER_MESSAGE_OVERHEAD = 4;
const PER_REQUEST_OVERHEAD = 3;
const IMAGE_TOKENS = 85;

export function tokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function messageTokens(message: WireMessage): number {
  let n = PER_MESSAGE_OVERHEAD;
  for (const part of message.content) {
    if (part.type === 'text') n += tokens(part.text.value);
    else if (part.type === 'refusal') n += tokens(part.refusal);
    else n += IMAGE_TOKENS;
  }
  return n;
}

export interface PromptParts {
  instructions: string | null;
  tools: readonly AssistantTool[];
  messages: readonly WireMessage[];
  /** Text the run already produced before this step (tool calls and their outputs). */
  scratch: readonly string[];
}

export function promptTokens(parts: PromptParts): number {
  let n = PER_REQUEST_OVERHEAD + tokens(parts.instructions ?? '');
  if (parts.tools.length > 0) n += tokens(JSON.stringify(parts.tools));
  for (const m of parts.messages) n += messageTokens(m);
  for (const s of parts.scratch) n += PER_MESSAGE_OVERHEAD + tokens(s);
  return n;
}

/** Run step usage in the recorded key order; the emulator's runs never reason, so reasoning is 0. */
export function makeUsage(prompt: number, completion: number, cached = 0): WireUsage {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_token_details: { cached_tokens: Math.min(cached, prompt) },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

/** A run's usage: Σ of its step usages (steps without usage count zero). */
export function sumUsage(usages: ReadonlyArray<WireUsage | null>): WireUsage {
  let prompt = 0;
  let completion = 0;
  let cached = 0;
  for (const u of usages) {
    if (!u) continue;
    prompt += u.prompt_tokens;
    completion += u.completion_tokens;
    cached += u.prompt_token_details.cached_tokens;
  }
  return makeUsage(prompt, completion, cached);
}
