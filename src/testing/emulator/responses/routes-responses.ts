import { ApiError, badRequest, invalidType, invalidValue, missingParam } from '../engine/errors';
import { paginate, queryList, queryValue, type Query } from '../http/pagination';
import { lastUserQuestion, ResponseMachine, type ConversationRecord, type ResponseContext, type ResponseEngine } from './response-engine';
import { chooseResponseScript } from './scripts';
import type { StoredItem, WireConversation, WireResponse } from './types';
import { route, type ApiRequest, type Route } from '../http/router';
import { nowSeconds } from '../engine/store';
import { responseStream } from './stream';
import * as v from '../engine/validate';

// The Responses API (POST /responses, GET/DELETE /responses/{id}, POST /responses/{id}/cancel,
// GET /responses/{id}/input_items) and the Conversations API (/conversations, /conversations/{id},
// /conversations/{id}/items[/{item_id}]).

type Body = v.Body;
type Listed = StoredItem & { id: string };

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

function includeList(values: unknown, param: string): string[] {
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
    const item = entry as Body;
    const type = item['type'] ?? (item['role'] !== undefined ? 'message' : undefined);
    const givenId = typeof item['id'] === 'string' ? item['id'] : undefined;
    switch (type) {
      case 'message': {
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
        out.push({ id: givenId ?? ctx.ids.hexId('msg_'), type: 'message', status: 'completed', role, content: parts });
        return;
      }
      case 'function_call_output': {
        const callId = item['call_id'];
        if (typeof callId !== 'string' || callId === '') throw missingParam(`${p}.call_id`);
        const output = item['output'];
        if (typeof output !== 'string' && !Array.isArray(output)) throw invalidType(`${p}.output`, 'a string or an array', output);
        const calls = [...known, ...out];
        if (!calls.some((c) => c.type === 'function_call' && c.call_id === callId)) {
          throw badRequest(`No tool call found for function call output with call_id ${callId}.`, 'input');
        }
        out.push({ id: givenId ?? ctx.ids.hexId('fco_'), type: 'function_call_output', status: 'completed', call_id: callId, output: output as string });
        return;
      }
      case 'function_call': {
        for (const key of ['call_id', 'name', 'arguments']) {
          if (typeof item[key] !== 'string') throw missingParam(`${p}.${key}`);
        }
        out.push({ ...(structuredClone(item) as unknown as StoredItem), id: givenId ?? ctx.ids.hexId('fc_'), status: 'completed' } as StoredItem);
        return;
      }
      case undefined:
        throw missingParam(`${p}.type`);
      default:
        // Items passed back from an earlier output (reasoning, tool calls, …) are kept as they are.
        out.push({ ...(structuredClone(item) as unknown as StoredItem), id: givenId ?? ctx.ids.hexId('item_') } as StoredItem);
    }
  });
  return out;
}

/** Tools as the API echoes them: function tools get `strict` (default true) and `description`. */
function echoTools(raw: unknown): Array<Record<string, unknown>> {
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

function textFormat(body: Body): Record<string, unknown> {
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

function conversationId(body: Body): string | undefined {
  const c = body['conversation'];
  if (c === undefined || c === null) return undefined;
  if (typeof c === 'string') return c;
  if (typeof c === 'object' && !Array.isArray(c) && typeof (c as Body)['id'] === 'string') return (c as Body)['id'] as string;
  throw invalidType('conversation', 'a string or an object', c);
}

function listed(items: readonly StoredItem[]): Listed[] {
  return items as Listed[];
}

export function responseRoutes(ctx: ResponseContext, engine: ResponseEngine): Route[] {
  const p = (req: ApiRequest, name: string) => req.params[name] as string;

  function create(req: ApiRequest): unknown {
    const body = v.asBody(req.body);
    const model = v.requiredString(body, 'model');
    const stream = v.optionalBoolean(body, 'stream') === true;
    const background = v.optionalBoolean(body, 'background') === true;
    const store = v.optionalBoolean(body, 'store') ?? true;
    if (background && !store) throw badRequest('Background mode requires store=true.', 'store', 'invalid_value');
    const previous = v.optionalString(body, 'previous_response_id') ?? null;
    const convId = conversationId(body);
    if (previous && convId) {
      throw badRequest(
        "Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or 'conversation'.",
        null,
        'mutually_exclusive_parameters',
      );
    }
    const conversation: ConversationRecord | null = convId ? engine.conversation(convId) : null;
    const history: StoredItem[] = previous ? engine.chain(previous) : conversation ? structuredClone(conversation.items) : [];
    const inputItems = parseItems(ctx, body['input'], 'input', history);
    const metadata = v.metadata(body) ?? {};
    const tools = echoTools(body['tools']);
    const reasoningBody = v.optionalObject(body, 'reasoning') ?? null;
    const format = textFormat(body);
    const include = includeList(body['include'], 'include');
    const toolChoice = body['tool_choice'] ?? 'auto';
    const script = chooseResponseScript(metadata, toolChoice, tools, reasoningBody, inputItems);
    if (script === 'cancel' && !background) {
      throw badRequest("The emulator's 'cancel' script needs background: true (only background responses can be cancelled).", 'metadata.script');
    }
    const summary = reasoningBody?.['summary'];
    const response: WireResponse = {
      id: ctx.ids.hexId('resp_'),
      object: 'response',
      created_at: nowSeconds(),
      status: background ? 'queued' : 'in_progress',
      background,
      billing: { payer: 'developer' },
      completed_at: null,
      error: null,
      frequency_penalty: v.optionalNumber(body, 'frequency_penalty', -2, 2) ?? 0,
      incomplete_details: null,
      instructions: v.optionalString(body, 'instructions') ?? null,
      max_output_tokens: v.optionalInteger(body, 'max_output_tokens', 16) ?? null,
      max_tool_calls: v.optionalInteger(body, 'max_tool_calls', 1) ?? null,
      model,
      output: [],
      parallel_tool_calls: v.optionalBoolean(body, 'parallel_tool_calls') ?? true,
      presence_penalty: v.optionalNumber(body, 'presence_penalty', -2, 2) ?? 0,
      previous_response_id: previous,
      prompt_cache_key: v.optionalString(body, 'prompt_cache_key') ?? null,
      prompt_cache_retention: null,
      reasoning: {
        effort: typeof reasoningBody?.['effort'] === 'string' ? reasoningBody['effort'] : null,
        // Recorded: a requested 'auto' summary is echoed as the one the model used.
        summary: typeof summary === 'string' ? (summary === 'auto' ? 'detailed' : summary) : null,
      },
      safety_identifier: v.optionalString(body, 'safety_identifier') ?? null,
      service_tier: 'auto',
      store,
      temperature: v.optionalNumber(body, 'temperature', 0, 2) ?? 1.0,
      text: { format, verbosity: 'medium' },
      tool_choice: toolChoice as WireResponse['tool_choice'],
      tools: tools as unknown as WireResponse['tools'],
      top_logprobs: v.optionalInteger(body, 'top_logprobs', 0) ?? 0,
      top_p: v.optionalNumber(body, 'top_p', 0, 1) ?? 1.0,
      truncation: body['truncation'] === 'auto' ? 'auto' : 'disabled',
      usage: null,
      user: v.optionalString(body, 'user') ?? null,
      metadata,
    };
    if (conversation) response.conversation = { id: conversation.conversation.id };
    const question = lastUserQuestion([...history, ...inputItems]);
    const m = new ResponseMachine(ctx, response, inputItems, history, conversation, script, include, { tools, textFormat: format, question });
    engine.machines.set(response.id, m);
    if (stream) return responseStream(m, -1);
    if (!background) m.drain();
    return response;
  }

  function newConversation(body: Body): ConversationRecord {
    const items = parseItems(ctx, body['items'], 'items', []);
    const rec: ConversationRecord = {
      conversation: { id: ctx.ids.hexId('conv_'), object: 'conversation', created_at: nowSeconds(), metadata: v.metadata(body) ?? {} },
      items,
    };
    engine.conversations.set(rec.conversation.id, rec);
    return rec;
  }

  function item(rec: ConversationRecord, id: string): StoredItem {
    const found = rec.items.find((x) => (x as Listed).id === id);
    if (!found) throw new ApiError(404, `Item with id '${id}' not found.`, 'invalid_request_error', null);
    return found;
  }

  return [
    route('POST', '/responses', create),
    route('GET', '/responses/:response_id', (req) => {
      const m = engine.machine(p(req, 'response_id'));
      if (queryValue(req.query, 'stream') === 'true') {
        if (!m.response.background) {
          throw badRequest('This response cannot be streamed because it was not created with background=true.', 'stream');
        }
        const after = queryValue(req.query, 'starting_after');
        const n = after === undefined ? -1 : Number(after);
        if (!Number.isInteger(n) || n < -1) throw invalidType('starting_after', 'an integer', after);
        return responseStream(m, n);
      }
      if (m.response.background) m.poll();
      return m.response;
    }),
    route('POST', '/responses/:response_id/cancel', (req) => {
      const m = engine.machine(p(req, 'response_id'));
      m.cancel();
      return m.response;
    }),
    route('DELETE', '/responses/:response_id', (req) => {
      const m = engine.machine(p(req, 'response_id'));
      engine.machines.delete(m.response.id);
      return { id: m.response.id, object: 'response', deleted: true };
    }),
    route('GET', '/responses/:response_id/input_items', (req) => {
      const m = engine.machine(p(req, 'response_id'));
      return paginate(listed(m.inputItems), req.query);
    }),

    route('POST', '/conversations', (req) => newConversation(v.asBody(req.body)).conversation),
    route('GET', '/conversations/:conversation_id', (req) => engine.conversation(p(req, 'conversation_id')).conversation),
    route('POST', '/conversations/:conversation_id', (req) => {
      const rec = engine.conversation(p(req, 'conversation_id'));
      const body = v.asBody(req.body);
      if (!v.has(body, 'metadata')) throw missingParam('metadata');
      rec.conversation.metadata = v.metadata(body) ?? {};
      return rec.conversation;
    }),
    route('DELETE', '/conversations/:conversation_id', (req) => {
      const rec = engine.conversation(p(req, 'conversation_id'));
      engine.conversations.delete(rec.conversation.id);
      return { id: rec.conversation.id, object: 'conversation.deleted', deleted: true };
    }),
    route('POST', '/conversations/:conversation_id/items', (req) => {
      const rec = engine.conversation(p(req, 'conversation_id'));
      const body = v.asBody(req.body);
      const raw = v.optionalArray(body, 'items');
      if (!raw) throw missingParam('items');
      const added = parseItems(ctx, raw, 'items', rec.items);
      rec.items.push(...added);
      const data = listed(added);
      return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: false };
    }),
    route('GET', '/conversations/:conversation_id/items', (req) => {
      const rec = engine.conversation(p(req, 'conversation_id'));
      includeList(queryList(req.query, 'include'), 'include');
      return paginate(listed(rec.items), req.query);
    }),
    route('GET', '/conversations/:conversation_id/items/:item_id', (req) => {
      const rec = engine.conversation(p(req, 'conversation_id'));
      return item(rec, p(req, 'item_id'));
    }),
    route('DELETE', '/conversations/:conversation_id/items/:item_id', (req) => {
      const rec = engine.conversation(p(req, 'conversation_id'));
      const found = item(rec, p(req, 'item_id'));
      rec.items.splice(rec.items.indexOf(found), 1);
      return rec.conversation;
    }),
  ];
}

export type { Query, WireConversation };
