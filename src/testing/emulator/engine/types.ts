import type OpenAI from 'openai';

// Wire shapes of the objects the emulator returns, checked against the `openai` SDK's types. Where the
// recorded real API differs from the SDK's declaration the difference is spelled out here:
// - runs carry `tool_resources` and `reasoning_effort` (not declared by the SDK), and `instructions`
//   is null when neither the assistant nor the run set any;
// - run and step usage carry `prompt_token_details.cached_tokens` (sic: the Assistants name, where chat
//   says `prompt_tokens_details`) and `completion_tokens_details.reasoning_tokens`, as recorded;
// - run steps carry `expires_at` (the SDK declares only `expired_at`; the emulator sends both);
// - vector stores created without a name have `name: null` and `expires_after: null`; files have
//   `status_details: null`.

type Run = OpenAI.Beta.Threads.Run;
type RunStep = OpenAI.Beta.Threads.Runs.RunStep;

export type Metadata = Record<string, string>;

export interface ToolResources {
  code_interpreter?: { file_ids?: string[] };
  file_search?: { vector_store_ids?: string[] };
}

export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_token_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

export type AssistantTool = OpenAI.Beta.AssistantTool;
export type FunctionTool = OpenAI.Beta.FunctionTool;

export type WireAssistant = OpenAI.Beta.Assistant & { reasoning_effort: string | null };

export type WireThread = OpenAI.Beta.Thread;

export type WireMessage = OpenAI.Beta.Threads.Message;
export type MessageContent = OpenAI.Beta.Threads.MessageContent;
export type TextAnnotation = OpenAI.Beta.Threads.Annotation;

export type WireRun = Omit<Run, 'instructions' | 'usage'> & {
  instructions: string | null;
  usage: WireUsage | null;
  tool_resources: ToolResources;
  reasoning_effort: string | null;
};

export type RunStatus = OpenAI.Beta.Threads.RunStatus;
export type RequiredToolCall = OpenAI.Beta.Threads.RequiredActionFunctionToolCall;

export type WireStep = Omit<RunStep, 'usage'> & { expires_at: number | null; usage: WireUsage | null };
export type ToolCall = OpenAI.Beta.Threads.Runs.ToolCall;
export type FunctionToolCall = OpenAI.Beta.Threads.Runs.FunctionToolCall;
export type CodeInterpreterToolCall = OpenAI.Beta.Threads.Runs.CodeInterpreterToolCall;
export type FileSearchToolCall = OpenAI.Beta.Threads.Runs.FileSearchToolCall;
export type ToolCallsStepDetails = OpenAI.Beta.Threads.Runs.ToolCallsStepDetails;

export type WireVectorStore = Omit<OpenAI.VectorStore, 'name' | 'expires_after'> & {
  name: string | null;
  expires_after: OpenAI.VectorStore.ExpiresAfter | null;
};
export type WireVectorStoreFile = OpenAI.VectorStores.VectorStoreFile;
export type WireFile = Omit<OpenAI.FileObject, 'status_details' | 'expires_at'> & {
  status_details: string | null;
  expires_at: number | null;
};

export interface ListPage<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** The SSE event names of the Assistants stream; the run engine logs its transitions under them. */
export type StreamEventName = OpenAI.Beta.AssistantStreamEvent['event'];
