import type { Attributes } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { num, obj } from '../util/json';

/** Token counts of a usage object; `cachedInput`, `audioInput` and `reasoning`, `audioOutput` are parts of input and output. */
export interface Usage {
  input?: number;
  output?: number;
  cachedInput?: number;
  reasoning?: number;
  audioInput?: number;
  cachedAudioInput?: number;
  audioOutput?: number;
  /** The text parts of input and output, where the API counts by modality (Realtime). */
  textInput?: number;
  textOutput?: number;
}

/**
 * The one reader of API usage objects: Assistants' prompt/completion naming (run usage says
 * `prompt_token_details`, chat completions `prompt_tokens_details`), Responses' input/output naming and the
 * Realtime shape (`input_token_details` with audio and cached-audio parts). Spans, cost and metrics all take
 * their numbers from here.
 */
export function readUsage(usage: unknown): Usage {
  const u = obj(usage);
  if (!u) return {};
  const inDetails = obj(u.prompt_tokens_details) ?? obj(u.prompt_token_details) ?? obj(u.input_tokens_details) ?? obj(u.input_token_details);
  const outDetails = obj(u.completion_tokens_details) ?? obj(u.output_tokens_details) ?? obj(u.output_token_details);
  return {
    input: num(u.prompt_tokens) ?? num(u.input_tokens),
    output: num(u.completion_tokens) ?? num(u.output_tokens),
    cachedInput: num(inDetails?.cached_tokens),
    reasoning: num(outDetails?.reasoning_tokens),
    audioInput: num(inDetails?.audio_tokens),
    cachedAudioInput: num(obj(inDetails?.cached_tokens_details)?.audio_tokens),
    audioOutput: num(outDetails?.audio_tokens),
    textInput: num(inDetails?.text_tokens),
    textOutput: num(outDetails?.text_tokens),
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

/** Tokens by modality (`spanlens.usage.*`) where the API reports them (Realtime: text, audio, cached audio). */
export function modalityAttributes(u: Usage): Attributes {
  const attrs: Attributes = {};
  if (u.textInput !== undefined) attrs['spanlens.usage.text_input_tokens'] = u.textInput;
  if (u.audioInput !== undefined) attrs['spanlens.usage.audio_input_tokens'] = u.audioInput;
  if (u.cachedAudioInput !== undefined) attrs['spanlens.usage.cached_audio_input_tokens'] = u.cachedAudioInput;
  if (u.textOutput !== undefined) attrs['spanlens.usage.text_output_tokens'] = u.textOutput;
  if (u.audioOutput !== undefined) attrs['spanlens.usage.audio_output_tokens'] = u.audioOutput;
  return attrs;
}
