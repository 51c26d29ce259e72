// The bundled prices. Since @pydantic/genai-prices became the main source (see pricing.ts), this file
// holds (1) PRICE_CORRECTIONS, checked against OpenAI's pages, that win over the maintained data where it is
// wrong or incomplete, and (2) MODEL_PRICES, the fallback for models the maintained data lacks or when it
// cannot be loaded. Written by hand from OpenAI's own pages, checked on PRICES_CHECKED_ON:
//   - https://developers.openai.com/api/docs/models/<model> (per-model "Text tokens" tables:
//     gpt-3.5-turbo, gpt-4, gpt-4-turbo, gpt-4-turbo-preview, gpt-4.1-nano, gpt-5-mini, gpt-5-nano, gpt-5.1)
//   - https://developers.openai.com/api/docs/pricing (standard tier; built-in tool fees)
//   - cross-checked against LiteLLM's model_prices_and_context_window.json and the OpenAI changelog
//     (o3 cut to $2/$8 in June 2025; container billing per minute, 5-minute minimum, since 2026-06-02).
// Standard tier only: Batch, Flex and Priority rates differ; so do fine-tuned models (never resolved here).
// Shut-down models (gpt-3.5-turbo, gpt-4-*-preview, o1-preview, …) stay: old traces still name them.

/**
 * USD per 1M tokens. `cachedInput` absent: OpenAI has no cache discount for the model (billed as input).
 * Audio rates absent: audio tokens cost what text tokens do; `cachedAudioInput` absent: `cachedInput`.
 */
export interface Rates {
  input: number;
  cachedInput?: number;
  output: number;
  audioInput?: number;
  cachedAudioInput?: number;
  audioOutput?: number;
  /** USD per minute of session audio: a model billed by time, not tokens (the Live API's `gpt-live-1`). */
  audioPerMinute?: number;
}

/** A model's rates; `longContext`: the rates of a whole request whose input exceeds `aboveInputTokens`. */
export interface ModelPrice extends Rates {
  longContext?: Rates & { aboveInputTokens: number };
}

/** Built-in tool fees, USD. Tokens the tools add (file chunks, search results) are billed as model input. */
export interface ToolPrices {
  /** Per code interpreter session (Assistants) / container session (Responses), default 1 GB container. */
  codeInterpreterSession: number;
  /** Per 1,000 file search tool calls. OpenAI lists this fee for the Responses API only. */
  fileSearchPer1kCalls: number;
  /** Per 1,000 web search tool calls (standard web search tool; search content tokens are extra, as input). */
  webSearchPer1kCalls: number;
}

export const PRICES_SOURCE = 'OpenAI list prices (developers.openai.com/api/docs/pricing and /models), standard tier';
export const PRICES_CHECKED_ON = '2026-12-07';

/**
 * Where @pydantic/genai-prices disagrees with OpenAI's model pages, these win (source `bundled@…`).
 * Each one was found by the cross-check recorded in the README's Cost section.
 */
export const PRICE_CORRECTIONS: Readonly<Record<string, ModelPrice>> = {
  // genai-prices 0.1.8 has text rates only, so audio tokens would be billed at $2.50/$10 instead of $40/$80
  // (developers.openai.com/api/docs/models/gpt-4o-audio-preview).
  'gpt-4o-audio-preview': { input: 2.5, output: 10, audioInput: 40, audioOutput: 80 },
  // Same gap: audio $10 in / $20 out (…/models/gpt-4o-mini-audio-preview).
  'gpt-4o-mini-audio-preview': { input: 0.15, output: 0.6, audioInput: 10, audioOutput: 20 },
  // Billed by audio time, not tokens (genai-prices 0.1.8 has neither the model nor a per-minute field; a
  // correction, so a later per-token entry there cannot drop the time price): $0.05 per minute of
  // active session, billed per second (developers.openai.com/api/docs/models/gpt-live-1, checked
  // 2026-12-07). The Responses a session delegates to are billed as any response, at their own model.
  'gpt-live-1': { input: 0, output: 0, audioPerMinute: 0.05 },
};

export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  // GPT-5 family: cached input at 10% of input.
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-chat-latest': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  // GPT-4.1 family: cached input at 25%.
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  // GPT-4o: the first snapshot cost twice the later ones and had no cache discount.
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'gpt-4o-2024-05-13': { input: 5, output: 15 },
  'chatgpt-4o-latest': { input: 5, output: 15 },
  'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  'gpt-4.5-preview': { input: 75, cachedInput: 37.5, output: 150 },
  // Reasoning models (reasoning tokens are billed as output and already counted in output_tokens).
  o1: { input: 15, cachedInput: 7.5, output: 60 },
  'o1-preview': { input: 15, cachedInput: 7.5, output: 60 },
  'o1-mini': { input: 1.1, cachedInput: 0.55, output: 4.4 },
  o3: { input: 2, cachedInput: 0.5, output: 8 },
  'o3-mini': { input: 1.1, cachedInput: 0.55, output: 4.4 },
  'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
  // GPT-4 Turbo and GPT-4: no cache discount.
  'gpt-4-turbo': { input: 10, output: 30 },
  'gpt-4-turbo-preview': { input: 10, output: 30 },
  'gpt-4-0125-preview': { input: 10, output: 30 },
  'gpt-4-1106-preview': { input: 10, output: 30 },
  'gpt-4': { input: 30, output: 60 },
  'gpt-4-32k': { input: 60, output: 120 },
  // GPT-3.5 Turbo: each older snapshot had its own price.
  'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  'gpt-3.5-turbo-1106': { input: 1, output: 2 },
  'gpt-3.5-turbo-0613': { input: 1.5, output: 2 },
  'gpt-3.5-turbo-0301': { input: 1.5, output: 2 },
  'gpt-3.5-turbo-16k': { input: 3, output: 4 },
  // Newer than genai-prices 0.1.8 (…/models/gpt-6.1-terra, …/gpt-6.2-sol): above 272K input tokens the
  // whole request costs 2x input and cache, 1.5x output. A package update that adds them takes over.
  'gpt-6.1-terra': { input: 1, cachedInput: 0.05, output: 5, longContext: { aboveInputTokens: 272_000, input: 2, cachedInput: 0.1, output: 7.5 } },
  'gpt-6.2-sol': { input: 2, cachedInput: 0.1, output: 10, longContext: { aboveInputTokens: 272_000, input: 4, cachedInput: 0.2, output: 15 } },
  // Embeddings: input tokens only.
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
};

/**
 * Old-style snapshot names (`-MMDD`) that cost the same as an entry above. Listed one by one rather than
 * stripped by pattern: `gpt-3.5-turbo-1106` and `gpt-4-1106-preview` show that such suffixes change prices.
 * Dated snapshots (`-YYYY-MM-DD`) need no entry: they resolve to their base name (see resolve.ts).
 */
export const SNAPSHOT_ALIASES: Readonly<Record<string, string>> = {
  'gpt-4-0613': 'gpt-4',
  'gpt-4-0314': 'gpt-4',
  'gpt-4-32k-0613': 'gpt-4-32k',
  'gpt-4-32k-0314': 'gpt-4-32k',
  'gpt-3.5-turbo-0125': 'gpt-3.5-turbo',
  'gpt-3.5-turbo-16k-0613': 'gpt-3.5-turbo-16k',
  // What the embeddings endpoint reports as the model of an ada-002 request.
  'text-embedding-ada-002-v2': 'text-embedding-ada-002',
};

export const TOOL_PRICES: Readonly<ToolPrices> = {
  // $0.03 per 1 GB container. Assistants: one session per thread, active for an hour. Responses: one
  // 20-minute container session; since 2026-06-02 eligible sessions are billed per minute with a 5-minute
  // minimum, so this is the full-session figure (override it for bigger containers: 4 GB is $0.12).
  codeInterpreterSession: 0.03,
  // $2.50 per 1k calls, Responses API only: an Assistants run's file_search is billed through vector store
  // storage ($0.10/GB/day after the first GB), not per call, so Assistants callers count 0 calls here.
  fileSearchPer1kCalls: 2.5,
  // $10 per 1k calls for the web_search tool ($25 per 1k on the older non-reasoning preview path).
  webSearchPer1kCalls: 10,
};
