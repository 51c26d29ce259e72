import { finishReason, textMessage, toolCallPart, toolResponsePart, type GenAIMessage, type Part } from '../trace/genai-messages';
import { choiceOutput } from '../chat/chat-span';
import { arr, obj, str, type Obj } from '../util/json';

// A generation span's `input` / `output` as GenAI messages. The SDK leaves their shape to the model that
// fills them, so this reads the shapes in use: chat messages (OpenAIChatCompletionsModel's input; its
// output is the chat completion itself), the SDK's own items (`message`, `function_call`,
// `function_call_result`: custom models, the AI SDK adapter's output) and AI SDK prompt messages
// (`tool-call` / `tool-result` content parts). Anything else is left out, never guessed at.

/** A generation's input messages. */
export function generationInput(input: unknown): GenAIMessage[] | undefined {
  if (typeof input === 'string') return [textMessage('user', input)];
  const out = arr(input).flatMap((raw) => message(obj(raw)));
  return out.length ? out : undefined;
}

/** A generation's output messages: one per chat choice, else the items it produced as one assistant message. */
export function generationOutput(output: unknown): GenAIMessage[] | undefined {
  const items = arr(output).map(obj);
  const choices = items.flatMap((i) => arr(i?.choices).map((c) => choiceOutput(obj(c), obj(obj(c)?.message)).message));
  if (choices.length) return choices;
  const parts = items.flatMap((i) => message(i).flatMap((m) => m.parts));
  if (!parts.length) return undefined;
  return [{ role: 'assistant', parts, finish_reason: finishReason(parts.some((p) => p.type === 'tool_call') ? 'tool_calls' : undefined) }];
}

function message(m: Obj | undefined): GenAIMessage[] {
  if (!m) return [];
  const callId = str(m.callId) ?? str(m.call_id) ?? str(m.tool_call_id) ?? '';
  switch (m.type) {
    case 'function_call':
      return [{ role: 'assistant', parts: [toolCallPart(callId, str(m.name) ?? 'function', str(m.arguments))] }];
    case 'function_call_result':
    case 'function_call_output':
      return [{ role: 'tool', parts: [toolResponsePart(callId, resultValue(m.output))] }];
  }
  const role = str(m.role);
  if (!role) return [];
  if (role === 'tool' && m.tool_call_id !== undefined) return [{ role, parts: [toolResponsePart(callId, contentParts(m.content).map(textOf).join('') || m.content)] }];
  const parts = contentParts(m.content);
  for (const t of arr(m.tool_calls)) {
    const fn = obj(obj(t)?.function);
    parts.push(toolCallPart(str(obj(t)?.id) ?? '', str(fn?.name) ?? 'function', str(fn?.arguments)));
  }
  return parts.length ? [{ role, parts }] : [textMessage(role, '')];
}

/** A message's content (a string or parts: text of any kind, AI SDK tool calls and results). */
function contentParts(content: unknown): Part[] {
  if (typeof content === 'string') return [{ type: 'text', content }];
  const parts: Part[] = [];
  for (const raw of arr(content)) {
    const p = obj(raw);
    const text = str(p?.text) ?? str(p?.refusal);
    if (text !== undefined) parts.push({ type: 'text', content: text });
    else if (p?.type === 'tool-call') parts.push(toolCallPart(str(p.toolCallId) ?? '', str(p.toolName) ?? 'function', argsText(p.input ?? p.args)));
    else if (p?.type === 'tool-result') parts.push(toolResponsePart(str(p.toolCallId) ?? '', resultValue(p.output ?? p.result)));
  }
  return parts;
}

const textOf = (p: Part): string => (p.type === 'text' ? p.content : '');

const argsText = (v: unknown): string | undefined => (typeof v === 'string' ? v : v === undefined ? undefined : JSON.stringify(v));

/** A tool result: the SDK's `{ type: 'text', text }` and the AI SDK's `{ type: 'text', value }` as their text. */
function resultValue(v: unknown): unknown {
  const o = obj(v);
  return str(o?.text) ?? str(o?.value) ?? v;
}
