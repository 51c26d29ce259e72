// GenAI semantic-convention message shapes (gen_ai.input.messages / gen_ai.output.messages /
// gen_ai.system_instructions), serialised as JSON strings.
export type Part = { type: 'text'; content: string } | { type: 'tool_call'; id: string; name: string; arguments?: unknown } | { type: 'tool_call_response'; id: string; response: unknown };

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
