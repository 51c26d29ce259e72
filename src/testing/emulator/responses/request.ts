import { badRequest, invalidType, invalidValue, missingParam } from '../engine/errors';
import * as v from '../engine/validate';
import type { ResponseContext } from './context';
import type { StoredItem } from './types';

// Reading the parts of a Responses / Conversations request: input items, tools, text format, include.

export type Body = v.Body;
export type Listed = StoredItem & { id: string };

const INCLUDABLE = [
  'file_search_call.results',
  'web_search_call.results',
  'web_search_call.action.sources',
  'message.input_image.image_url',
  'computer_call_output.output.image_url',
  'code_interpreter_call.outputs',
  'reasoning.encrypted_content',
  'message.output_text.logprobs',
];

export function includeList(values: unknown, param: string): string[] {
  if (values === undefined || values === null) return [];
  if (!Array.isArray(values)) throw invalidType(param, 'an array', values);
  return values.map((value, i) => {
    if (typeof value !== 'string' || !INCLUDABLE.includes(value)) {
      throw invalidValue(`${param}[${i}]`, `Invalid value: '${String(value)}'. Supported values are: ${INCLUDABLE.map((x) => `'${x}'`).join(', ')}.`);
    }
    return value;
  });
}

/** Parses request input items (`input`, conversation `items`) into stored items with ids. */
export function parseItems(ctx: ResponseContext, raw: unknown, param: string, known: readonly StoredItem[]): StoredItem[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw === 'string') {
    return [{ id: ctx.ids.hexId('msg_'), type: 'message', status: 'completed', role: 'user', content: [{ type: 'input_text', text: raw }] }];
  }
  if (!Array.isArray(raw)) throw invalidType(param, 'a string or an array', raw);
  const out: StoredItem[] = [];
  raw.forEach((entry, i) => {
    const p = `${param}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw invalidType(p, 'an object', entry);
    out.push(parseItem(ctx, entry as Body, p, [...known, ...out]));
  });
  return out;
}

/** One input item; `calls`: the items before it (a function_call_output must answer one of their calls). */
function parseItem(ctx: ResponseContext, item: Body, p: string, calls: readonly StoredItem[]): StoredItem {
  const type = item['type'] ?? (item['role'] !== undefined ? 'message' : undefined);
  const givenId = typeof item['id'] === 'string' ? item['id'] : undefined;
  switch (type) {
    case 'message':
      return parseMessageItem(item, p, givenId ?? null, ctx);
    case 'function_call_output': {
      const callId = item['call_id'];
      if (typeof callId !== 'string' || callId === '') throw missingParam(`${p}.call_id`);
      const output = item['output'];
      if (typeof output !== 'string' && !Array.isArray(output)) throw invalidType(`${p}.output`, 'a string or an array', output);
      if (!calls.some((c) => c.type === 'function_call' && c.call_id === callId)) {
        throw badRequest(`No tool call found for function call output with call_id ${callId}.`, 'input');
      }
      return { id: givenId ?? ctx.ids.hexId('fco_'), type: 'function_call_output', status: 'completed', call_id: callId, output: output as string };
    }
    case 'function_call': {
      for (const key of ['call_id', 'name', 'arguments']) {
        if (typeof item[key] !== 'string') throw missingParam(`${p}.${key}`);
      }
      return { ...(structuredClone(item) as unknown as StoredItem), id: givenId ?? ctx.ids.hexId('fc_'), status: 'completed' } as StoredItem;
    }
    case undefined:
      throw missingParam(`${p}.type`);
    default:
      // Items passed back from an earlier output (reasoning, tool calls, …) are kept as they are.
      return { ...(structuredClone(item) as unknown as StoredItem), id: givenId ?? ctx.ids.hexId('item_') } as StoredItem;
  }
}

function parseMessageItem(item: Body, p: string, givenId: string | null, ctx: ResponseContext): StoredItem {
  const role = item['role'];
  if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
    throw invalidValue(`${p}.role`, `Invalid value: '${String(role)}'. Supported values are: 'user', 'assistant', 'system', and 'developer'.`);
  }
  const content = item['content'];
  let parts: Array<Record<string, unknown>>;
  if (typeof content === 'string') {
    parts = [role === 'assistant' ? { type: 'output_text', text: content, annotations: [] } : { type: 'input_text', text: content }];
  } else if (Array.isArray(content)) {
    parts = content.map((part, j) => {
      if (typeof part !== 'object' || part === null) throw invalidType(`${p}.content[${j}]`, 'an object', part);
      return structuredClone(part as Record<string, unknown>);
    });
  } else {
    throw missingParam(`${p}.content`);
  }
  return { id: givenId ?? ctx.ids.hexId('msg_'), type: 'message', status: 'completed', role, content: parts };
}

/** Tools as the API echoes them: function tools get `strict` (default true) and `description`. */
export function echoTools(raw: unknown): Array<Record<string, unknown>> {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalidType('tools', 'an array', raw);
  return raw.map((t, i) => {
    if (typeof t !== 'object' || t === null || Array.isArray(t)) throw invalidType(`tools[${i}]`, 'an object', t);
    const tool = t as Body;
    if (typeof tool['type'] !== 'string') throw missingParam(`tools[${i}].type`);
    if (tool['type'] !== 'function') return structuredClone(tool);
    if (typeof tool['name'] !== 'string' || tool['name'] === '') throw missingParam(`tools[${i}].name`);
    return {
      type: 'function',
      description: tool['description'] ?? null,
      name: tool['name'],
      parameters: tool['parameters'] ?? null,
      strict: tool['strict'] ?? true,
    };
  });
}

export function textFormat(body: Body): Record<string, unknown> {
  const text = v.optionalObject(body, 'text');
  const format = text ? v.optionalObject(text, 'format') : undefined;
  if (!format) return { type: 'text' };
  if (format['type'] === 'json_schema') {
    if (typeof format['name'] !== 'string') throw missingParam('text.format.name');
    return { type: 'json_schema', description: format['description'] ?? null, name: format['name'], schema: format['schema'] ?? {}, strict: format['strict'] ?? false };
  }
  if (format['type'] === 'json_object' || format['type'] === 'text') return { type: format['type'] };
  throw invalidValue('text.format.type', `Invalid value: '${String(format['type'])}'. Supported values are: 'text', 'json_object', and 'json_schema'.`);
}

/** `text.verbosity` as asked ('medium', the API's default, otherwise). */
export function textVerbosity(body: Body): string {
  const text = v.optionalObject(body, 'text');
  const verbosity = text?.['verbosity'];
  if (verbosity === undefined || verbosity === null) return 'medium';
  if (verbosity !== 'low' && verbosity !== 'medium' && verbosity !== 'high') {
    throw invalidValue('text.verbosity', `Invalid value: '${String(verbosity)}'. Supported values are: 'low', 'medium', and 'high'.`);
  }
  return verbosity;
}

export function conversationId(body: Body): string | undefined {
  const c = body['conversation'];
  if (c === undefined || c === null) return undefined;
  if (typeof c === 'string') return c;
  if (typeof c === 'object' && !Array.isArray(c) && typeof (c as Body)['id'] === 'string') return (c as Body)['id'] as string;
  throw invalidType('conversation', 'a string or an object', c);
}

export function listed(items: readonly StoredItem[]): Listed[] {
  return items as Listed[];
}
