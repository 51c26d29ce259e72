import type { Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import type { ContentPolicy } from '../trace/content';
import { finishReason, textMessage, toolResponsePart, type GenAIMessage, type Part } from '../trace/genai-messages';
import { arr, messageText, obj, str, type Obj } from '../util/json';
import { itemPart, outputMessage } from './output-item-spans';
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
    else {
      const part = itemPart(item);
      if (part) parts.push(part);
    }
  }
  const toolCalls = parts.some((p) => p.type === 'tool_call');
  const output: GenAIMessage = { role: 'assistant', parts, finish_reason: finishReason(status === 'completed' && toolCalls ? 'tool_calls' : responseFinishReason(status, undefined)) };
  put(A.outputMessages, [output]);
}

/** A Responses `input` as a list of items (a string is one user message). */
export function inputItems(input: unknown): unknown[] {
  return typeof input === 'string' ? [{ role: 'user', content: input }] : arr(input);
}

const isUserMessage = (item: Obj | undefined): boolean => item?.role === 'user' && (item.type ?? 'message') === 'message';

/**
 * The user messages a create request carries for the first time: what its response answers. A request
 * that continues server-side state (`previous_response_id`, `conversation`) sends only new items, so all
 * its user messages count. A stateless request resends the whole history (the Agents SDK, LangChain):
 * only the user messages after the last item the model or a tool produced are new; earlier ones were
 * answered by earlier responses, and a tool-loop continuation (ending in outputs) carries none.
 */
export function newUserMessages(request: Obj, continues: boolean): Obj[] {
  const items = inputItems(request.input).map(obj);
  let from = 0;
  if (!continues) {
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i];
      // Instructions (system / developer messages) neither answer nor ask.
      if (isUserMessage(item) || item?.role === 'system' || item?.role === 'developer') continue;
      from = i + 1;
      break;
    }
  }
  return items.slice(from).filter((i): i is Obj => isUserMessage(i));
}

/** A Responses `input` (a string or items) as GenAI input messages. */
function inputMessages(input: unknown): GenAIMessage[] {
  if (typeof input === 'string') return [textMessage('user', input)];
  const out: GenAIMessage[] = [];
  for (const raw of arr(input)) {
    const item = obj(raw);
    if (!item) continue;
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') {
      out.push({ role: 'tool', parts: [toolResponsePart(str(item.call_id) ?? '', item.output)] });
    } else if (item.type === 'function_call') {
      out.push({ role: 'assistant', parts: [itemPart(item)!] });
    } else if (item.role !== undefined) {
      out.push(textMessage(str(item.role) ?? 'user', messageText(item.content) ?? ''));
    }
  }
  return out;
}
