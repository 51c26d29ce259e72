import type { Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import type { ContentPolicy } from '../trace/content';
import { textMessage, type GenAIMessage, type Part } from '../trace/genai-messages';
import { arr, messageText, obj, str, type Obj } from '../util/json';
import { outputMessage, toolCallPart } from './output-item-spans';
import { responseFinishReason } from './response-statuses';

/** With content capture: a finished response's instructions, input and output messages on its span. */
export function setResponseContent(content: ContentPolicy, span: Span, request: Obj | undefined, items: Obj[], status: string): void {
  if (!content.enabled) return;
  const instructions = str(request?.instructions);
  const put = (key: string, value: unknown): void => {
    const v = content.capture(key, value);
    if (v !== undefined) span.setAttribute(key, v);
  };
  if (instructions) put(A.systemInstructions, [{ type: 'text', content: instructions }]);
  if (request) put(A.inputMessages, inputMessages(request.input));
  const parts: Part[] = [];
  for (const item of items) {
    if (item.type === 'message') parts.push(...outputMessage(item).parts);
    else if (item.type === 'function_call' || item.type === 'custom_tool_call') parts.push(toolCallPart(item));
  }
  const toolCalls = parts.some((p) => p.type === 'tool_call');
  const output: GenAIMessage = { role: 'assistant', parts, finish_reason: status === 'completed' && toolCalls ? 'tool_calls' : responseFinishReason(status, undefined) };
  put(A.outputMessages, [output]);
}

/** A Responses `input` as a list of items (a string is one user message). */
export function inputItems(input: unknown): unknown[] {
  return typeof input === 'string' ? [{ role: 'user', content: input }] : arr(input);
}

/** A Responses `input` (a string or items) as GenAI input messages. */
function inputMessages(input: unknown): GenAIMessage[] {
  if (typeof input === 'string') return [textMessage('user', input)];
  const out: GenAIMessage[] = [];
  for (const raw of arr(input)) {
    const item = obj(raw);
    if (!item) continue;
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
      out.push({ role: 'tool', parts: [{ type: 'tool_call_response', id: str(item.call_id) ?? '', response: item.output ?? null }] });
    } else if (item.type === 'function_call') {
      out.push({ role: 'assistant', parts: [toolCallPart(item)] });
    } else if (item.role !== undefined) {
      out.push(textMessage(str(item.role) ?? 'user', messageText(item.content) ?? ''));
    }
  }
  return out;
}
