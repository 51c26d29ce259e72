import type OpenAI from 'openai';

// Wire shapes of the Chat Completions and Embeddings answers, checked against the `openai` SDK's types.

// ---- Chat Completions ----------------------------------------------------------------------------

export interface WireChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

export type ChatToolCall = OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall;

export type WireChatCompletion = Omit<OpenAI.Chat.Completions.ChatCompletion, 'usage' | 'choices'> & {
  choices: Array<
    Omit<OpenAI.Chat.Completions.ChatCompletion.Choice, 'message'> & {
      message: Omit<OpenAI.Chat.Completions.ChatCompletionMessage, 'tool_calls'> & { tool_calls?: ChatToolCall[]; annotations: [] };
    }
  >;
  usage: WireChatUsage;
  service_tier: 'default';
  system_fingerprint: string;
};

export type WireChatChunk = Omit<OpenAI.Chat.Completions.ChatCompletionChunk, 'usage'> & {
  usage?: WireChatUsage | null;
  obfuscation?: string;
};

// ---- Embeddings ----------------------------------------------------------------------------------

export interface WireEmbedding {
  object: 'embedding';
  index: number;
  embedding: number[] | string;
}

export type WireEmbeddingList = Omit<OpenAI.CreateEmbeddingResponse, 'data'> & { data: WireEmbedding[] };
