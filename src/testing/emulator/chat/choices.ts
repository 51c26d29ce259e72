import { badRequest } from '../engine/errors';
import { answerText, functionArguments, longAnswerText, toolAnswerText, truncateToTokens } from '../engine/generate';
import type { IdFactory } from '../engine/ids';
import { tokens } from '../engine/usage';
import * as v from '../engine/validate';
import type { ChatToolCall } from './types';

// What a chat request answers: its script (`metadata.script`, else from the messages and the tools)
// and, per choice, the text or the function calls.

export type Body = v.Body;
export type ChatScript = 'answer' | 'function' | 'parallel_functions' | 'incomplete';
const CHAT_SCRIPTS: readonly ChatScript[] = ['answer', 'function', 'parallel_functions', 'incomplete'];

export interface Choice {
  content: string | null;
  toolCalls: ChatToolCall[];
  finish: 'stop' | 'length' | 'tool_calls';
  completion: number;
}

export function isObject(x: unknown): x is Body {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (isObject(p) && typeof p['text'] === 'string' ? p['text'] : isObject(p) && typeof p['refusal'] === 'string' ? p['refusal'] : '')).join(' ');
  }
  return '';
}

export function messageText(m: Body): string {
  const calls = Array.isArray(m['tool_calls']) ? JSON.stringify(m['tool_calls']) : '';
  return contentText(m['content']) + calls;
}

export function chooseScript(body: Body, messages: Body[], tools: Body[]): ChatScript {
  const metadata = v.metadata(body);
  const explicit = metadata?.['script'];
  if (explicit !== undefined) {
    if (!(CHAT_SCRIPTS as readonly string[]).includes(explicit)) {
      throw badRequest(`Unknown emulator script '${explicit}' in metadata.script for chat completions. Expected one of: ${CHAT_SCRIPTS.join(', ')}.`, 'metadata.script', 'invalid_value');
    }
    return explicit as ChatScript;
  }
  if (messages[messages.length - 1]?.['role'] === 'tool') return 'answer';
  const choice = body['tool_choice'];
  if (choice === 'none') return 'answer';
  if (choice === 'required' || (isObject(choice) && choice['type'] === 'function')) return 'function';
  return tools.some((t) => t['type'] === 'function') ? 'function' : 'answer';
}

export function question(messages: Body[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as Body;
    if (m['role'] === 'user') return contentText(m['content']).trim();
  }
  return '';
}

/** The tool results of the trailing `role: tool` messages, named after the calls they answer. */
function toolResults(messages: Body[]): Array<{ name: string; output: string }> {
  const out: Array<{ name: string; output: string }> = [];
  for (let i = messages.length - 1; i >= 0 && messages[i]?.['role'] === 'tool'; i--) {
    const m = messages[i] as Body;
    const callId = m['tool_call_id'];
    let name = 'the function';
    for (const earlier of messages) {
      const calls = Array.isArray(earlier['tool_calls']) ? (earlier['tool_calls'] as Body[]) : [];
      const call = calls.find((c) => c['id'] === callId);
      if (call && isObject(call['function'])) name = String(call['function']['name']);
    }
    out.unshift({ name, output: contentText(m['content']) });
  }
  return out;
}

/** Choice `index` of the answer; `budget`: max_completion_tokens (Infinity without). */
export function makeChoice(ids: IdFactory, seed: number, body: Body, script: ChatScript, messages: Body[], tools: Body[], index: number, budget: number): Choice {
  const q = question(messages);
  if (script === 'function' || script === 'parallel_functions') {
    const fns = tools.filter((t) => t['type'] === 'function' && isObject(t['function'])).map((t) => t['function'] as Body);
    const choice = body['tool_choice'];
    if (isObject(choice) && isObject(choice['function'])) {
      const i = fns.findIndex((f) => f['name'] === (choice['function'] as Body)['name']);
      if (i > 0) fns.unshift(...fns.splice(i, 1));
    }
    if (fns.length === 0) fns.push({ name: 'get_information', parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } });
    const count = script === 'parallel_functions' ? 2 : 1;
    const toolCalls: ChatToolCall[] = Array.from({ length: count }, (_, i) => {
      const fn = (fns[i] ?? fns[0]) as Body;
      return { id: ids.callId(), type: 'function', function: { name: String(fn['name']), arguments: functionArguments(fn['parameters'], q) } };
    });
    const completion = toolCalls.reduce((n, c) => n + 3 + tokens(c.function.name + c.function.arguments), 0);
    return { content: null, toolCalls, finish: 'tool_calls', completion };
  }
  const results = toolResults(messages);
  // Each choice words it differently (the first seed, after `index`, whose text no earlier choice has).
  const words = (k: number) => (results.length > 0 ? toolAnswerText(seed + k, q, results) : answerText(seed + k, q));
  const earlier = new Set(Array.from({ length: index }, (_, k) => words(k)));
  let k = index;
  while (earlier.has(words(k)) && k < index + 64) k++;
  let text = words(k);
  const format = isObject(body['response_format']) ? body['response_format'] : null;
  if (format?.['type'] === 'json_schema') {
    const schema = isObject(format['json_schema']) ? format['json_schema']['schema'] : undefined;
    text = functionArguments(schema, q);
  } else if (format?.['type'] === 'json_object') {
    text = JSON.stringify({ answer: text });
  }
  if (script === 'incomplete') {
    const long = longAnswerText(seed + index, q);
    budget = Math.max(1, Math.min(budget, 16, tokens(long) - 1));
    text = long;
  }
  if (tokens(text) > budget) {
    const cut = truncateToTokens(text, budget);
    return { content: cut, toolCalls: [], finish: 'length', completion: budget };
  }
  return { content: text, toolCalls: [], finish: 'stop', completion: tokens(text) };
}
