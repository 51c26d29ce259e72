import type OpenAI from 'openai';

// Wire shapes of the Responses, Conversations, Chat Completions and Embeddings objects the emulator
// returns, checked against the `openai` SDK's types. Where the recorded real API (traceloop/openllmetry
// cassettes, 2025–2026) differs from the SDK's declaration the difference is spelled out here:
// - `output_text` is the SDK's own convenience property, never on the wire;
// - a response carries `billing`, `frequency_penalty`, `presence_penalty`, `max_tool_calls`,
//   `prompt_cache_key`, `prompt_cache_retention`, `safety_identifier`, `top_logprobs`, `user` and
//   `usage: null` until it ends (the SDK declares `usage` optional, not nullable);
// - `usage.input_tokens_details` has `cached_tokens` only (newer SDKs also declare
//   `cache_write_tokens`, which no recording has);
// - `conversation` is only present when the request named one.

export type WireResponseUsage = Omit<OpenAI.Responses.ResponseUsage, 'input_tokens_details'> & {
  input_tokens_details: { cached_tokens: number };
};

type Overridden =
  | 'output_text'
  | 'usage'
  | 'status'
  | 'error'
  | 'instructions'
  | 'text'
  | 'reasoning'
  | 'user'
  | 'metadata'
  | 'background'
  | 'completed_at'
  | 'max_output_tokens'
  | 'previous_response_id'
  | 'prompt_cache_key'
  | 'prompt_cache_retention'
  | 'safety_identifier'
  | 'service_tier'
  | 'top_logprobs'
  | 'truncation';

export type WireResponse = Omit<OpenAI.Responses.Response, Overridden> & {
  status: OpenAI.Responses.ResponseStatus;
  background: boolean;
  billing: { payer: 'developer' };
  completed_at: number | null;
  error: { code: string; message: string } | null;
  frequency_penalty: number;
  presence_penalty: number;
  instructions: string | null;
  max_output_tokens: number | null;
  max_tool_calls: number | null;
  previous_response_id: string | null;
  prompt_cache_key: string | null;
  prompt_cache_retention: string | null;
  reasoning: { effort: string | null; summary: string | null };
  safety_identifier: string | null;
  service_tier: 'auto' | 'default';
  store: boolean;
  text: { format: Record<string, unknown>; verbosity: string };
  top_logprobs: number;
  truncation: 'auto' | 'disabled';
  usage: WireResponseUsage | null;
  user: string | null;
  metadata: Record<string, string>;
};

export type OutputItem = OpenAI.Responses.ResponseOutputItem;
export type OutputMessage = OpenAI.Responses.ResponseOutputMessage;
export type OutputText = OpenAI.Responses.ResponseOutputText;
export type Annotation = OutputText['annotations'][number];
export type FunctionCallItem = OpenAI.Responses.ResponseFunctionToolCall & { id: string; status: 'in_progress' | 'completed' | 'incomplete' };
export type ReasoningItem = OpenAI.Responses.ResponseReasoningItem;
export type WebSearchItem = OpenAI.Responses.ResponseFunctionWebSearch;
export type FileSearchItem = OpenAI.Responses.ResponseFileSearchToolCall;
export type CodeInterpreterItem = OpenAI.Responses.ResponseCodeInterpreterToolCall;
export type McpCallItem = OpenAI.Responses.ResponseOutputItem.McpCall;
export type McpListToolsItem = OpenAI.Responses.ResponseOutputItem.McpListTools;
export type ImageGenerationItem = OpenAI.Responses.ResponseOutputItem.ImageGenerationCall;

/** Stored input items (input_items, conversation items): messages get ids and a status, like the API's. */
export interface InputMessageItem {
  id: string;
  type: 'message';
  status: 'completed';
  role: 'user' | 'system' | 'developer' | 'assistant';
  content: Array<Record<string, unknown>>;
}
export interface FunctionCallOutputItem {
  id: string;
  type: 'function_call_output';
  status: 'completed';
  call_id: string;
  output: string;
}
/** Any item a response or conversation holds: input items as stored, or output items. */
export type StoredItem = InputMessageItem | FunctionCallOutputItem | OutputItem;

/** A stream event before the sequence number is stamped on it. */
export type ResponseEventBody = DistributiveOmit<OpenAI.Responses.ResponseStreamEvent, 'sequence_number'> | WireLifecycleEvent;
/** The lifecycle events carry the wire response (the SDK types them with its `Response`). */
export interface WireLifecycleEvent {
  type: 'response.created' | 'response.queued' | 'response.in_progress' | 'response.completed' | 'response.failed' | 'response.incomplete';
  response: WireResponse;
}
export type ResponseEvent = ResponseEventBody & { sequence_number: number };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface WireConversation {
  id: string;
  object: 'conversation';
  created_at: number;
  metadata: Record<string, string>;
}
