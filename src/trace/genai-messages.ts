// GenAI semantic-convention message shapes (gen_ai.input.messages / gen_ai.output.messages /
// gen_ai.system_instructions, schemas in the conventions' gen-ai-*-messages.json), serialised as JSON
// strings. The part builders here are the one implementation for chat, Assistants and Responses.

export type Part =
  | { type: 'text'; content: string }
  | { type: 'tool_call'; id: string; name: string; arguments?: unknown }
  | { type: 'tool_call_response'; id: string; response: unknown }
  | { type: 'server_tool_call'; id: string; name: string; server_tool_call: { type: string; [k: string]: unknown } }
  | { type: 'server_tool_call_response'; id: string; server_tool_call_response: { type: string; [k: string]: unknown } };

export interface GenAIMessage {
  role: string;
  parts: Part[];
  finish_reason?: string;
}

export const textMessage = (role: string, content: string, finishReason?: string): GenAIMessage => ({
  role,
  parts: [{ type: 'text', content }],
  ...(finishReason ? { finish_reason: finishReason } : {}),
});

export const instructionsParts = (instructions: string): Part[] => [{ type: 'text', content: instructions }];

/** Tool-call arguments as the schema prefers them: the object they encode when they parse, else the text. */
export function toolArguments(args: string | undefined): unknown {
  if (args === undefined) return undefined;
  const t = args.trimStart();
  if (t[0] !== '{' && t[0] !== '[') return args;
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args; // cut or malformed (a stream broken mid-call): kept as text
  }
}

/** A function call the model asked the app to run. */
export const toolCallPart = (id: string, name: string, args: string | undefined): Part => {
  const parsed = toolArguments(args);
  return { type: 'tool_call', id, name, ...(parsed !== undefined ? { arguments: parsed } : {}) };
};

/** The app's result for a function call. */
export const toolResponsePart = (id: string, response: unknown): Part => ({ type: 'tool_call_response', id, response: response ?? null });

/**
 * A tool the provider ran (code_interpreter, file_search, web_search, mcp, …): `name` is the tool type,
 * `details` what the call carried (code, queries, server label), under the schema's type discriminator.
 */
export const serverToolCallPart = (id: string, name: string, details: Record<string, unknown> = {}): Part => ({
  type: 'server_tool_call',
  id,
  name,
  server_tool_call: { type: name, ...details },
});

/** What a provider-run tool returned (logs, results), under the schema's type discriminator. */
export const serverToolResponsePart = (id: string, name: string, details: Record<string, unknown> = {}): Part => ({
  type: 'server_tool_call_response',
  id,
  server_tool_call_response: { type: name, ...details },
});

/**
 * An output message's finish_reason in the schema's words where one fits (stop, length, content_filter,
 * tool_call, error); other API words (cancelled, expired, …) pass through, which the schema allows.
 * `fallback` when the API gave none (a stream that ended early says how it ended).
 */
export function finishReason(apiReason: string | undefined, fallback = 'stop'): string {
  switch (apiReason) {
    case undefined:
    case '':
      return fallback;
    case 'tool_calls':
    case 'function_call':
      return 'tool_call';
    case 'max_output_tokens':
    case 'max_tokens':
      return 'length';
    case 'failed':
      return 'error';
    default:
      return apiReason;
  }
}
