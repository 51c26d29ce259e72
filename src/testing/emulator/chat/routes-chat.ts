import { badRequest, invalidType, invalidValue, missingParam } from '../engine/errors';
import { STREAM_ERROR } from '../http/faults';
import { answerText, functionArguments, longAnswerText, tokenPieces, toolAnswerText, truncateToTokens } from '../engine/generate';
import { digest, hashInt, type IdFactory } from '../engine/ids';
import type { ChatToolCall, WireChatChunk, WireChatCompletion, WireChatUsage } from './types';
import { route, type Route } from '../http/router';
import { pump, SseReply, type OutEvent } from '../http/sse-reply';
import { nowSeconds } from '../engine/store';
import { tokens } from '../engine/usage';
import * as v from '../engine/validate';

// POST /chat/completions: one answer per choice (`n`), function tool calls, `response_format`
// json_schema / json_object content, `max_completion_tokens` cuts (finish_reason 'length'), and with
// `stream: true` the real chunk sequence (data-only SSE lines, `data: [DONE]` at the end; a final chunk
// with empty `choices` and the usage when `stream_options.include_usage`). What a chat request does:
// `metadata.script` ('answer', 'function', 'parallel_functions', 'incomplete'), else a request ending
// with `role: tool` messages answers with their contents, tool_choice 'none' answers, tool_choice
// 'required' / a named function or any function tool calls a function, otherwise it answers.
// Prompt caching: a request whose leading messages an earlier request already sent gets those tokens
// (in blocks of 16) as `prompt_tokens_details.cached_tokens`.

type Body = v.Body;
type ChatScript = 'answer' | 'function' | 'parallel_functions' | 'incomplete';
const CHAT_SCRIPTS: readonly ChatScript[] = ['answer', 'function', 'parallel_functions', 'incomplete'];

const PER_MESSAGE_OVERHEAD = 4;
const PER_REQUEST_OVERHEAD = 3;

function isObject(x: unknown): x is Body {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (isObject(p) && typeof p['text'] === 'string' ? p['text'] : isObject(p) && typeof p['refusal'] === 'string' ? p['refusal'] : ''))
      .join(' ');
  }
  return '';
}

function messageText(m: Body): string {
  const calls = Array.isArray(m['tool_calls']) ? JSON.stringify(m['tool_calls']) : '';
  return contentText(m['content']) + calls;
}

interface Choice {
  content: string | null;
  toolCalls: ChatToolCall[];
  finish: 'stop' | 'length' | 'tool_calls';
  completion: number;
}

/** `seenPrefixes`: hashes of the message lists' prefixes seen so far → their prompt tokens (prompt caching). */
export function chatRoutes(ids: IdFactory, seed: number, seenPrefixes: Map<string, number>): Route[] {
  function promptTokens(messages: Body[], tools: Body[]): { prompt: number; cached: number } {
    let prompt = PER_REQUEST_OVERHEAD + (tools.length > 0 ? tokens(JSON.stringify(tools)) : 0);
    let cached = 0;
    let running = digest('chat-prefix', JSON.stringify(tools)).toString('hex');
    const prefixes: Array<[string, number]> = [];
    for (const m of messages) {
      prompt += PER_MESSAGE_OVERHEAD + tokens(messageText(m));
      running = digest(running, JSON.stringify(m)).toString('hex');
      const seen = seenPrefixes.get(running);
      if (seen !== undefined) cached = Math.max(cached, seen);
      prefixes.push([running, prompt]);
    }
    for (const [key, value] of prefixes) seenPrefixes.set(key, value);
    return { prompt, cached: Math.min(prompt, Math.floor(cached / 16) * 16) };
  }

  function chooseScript(body: Body, messages: Body[], tools: Body[]): ChatScript {
    const metadata = v.metadata(body);
    const explicit = metadata?.['script'];
    if (explicit !== undefined) {
      if (!(CHAT_SCRIPTS as readonly string[]).includes(explicit)) {
        throw badRequest(
          `Unknown emulator script '${explicit}' in metadata.script for chat completions. Expected one of: ${CHAT_SCRIPTS.join(', ')}.`,
          'metadata.script',
          'invalid_value',
        );
      }
      return explicit as ChatScript;
    }
    if (messages[messages.length - 1]?.['role'] === 'tool') return 'answer';
    const choice = body['tool_choice'];
    if (choice === 'none') return 'answer';
    if (choice === 'required' || (isObject(choice) && choice['type'] === 'function')) return 'function';
    return tools.some((t) => t['type'] === 'function') ? 'function' : 'answer';
  }

  function question(messages: Body[]): string {
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

  function makeChoice(body: Body, script: ChatScript, messages: Body[], tools: Body[], index: number, budget: number): Choice {
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

  return [
    route('POST', '/chat/completions', (req) => {
      const body = v.asBody(req.body);
      const model = v.requiredString(body, 'model');
      const rawMessages = v.optionalArray(body, 'messages');
      if (!rawMessages) throw missingParam('messages');
      if (rawMessages.length === 0) {
        throw badRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array');
      }
      const messages = rawMessages.map((m, i) => {
        if (!isObject(m)) throw invalidType(`messages[${i}]`, 'an object', m);
        const role = m['role'];
        if (!['system', 'developer', 'user', 'assistant', 'tool', 'function'].includes(String(role))) {
          throw invalidValue(`messages[${i}].role`, `Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`);
        }
        return m;
      });
      const tools = (v.optionalArray(body, 'tools') ?? []).map((t, i) => {
        if (!isObject(t)) throw invalidType(`tools[${i}]`, 'an object', t);
        return t;
      });
      const n = v.optionalInteger(body, 'n', 1) ?? 1;
      if (n > 128) throw badRequest(`Invalid 'n': integer above maximum value. Expected a value <= 128, but got ${n} instead.`, 'n', 'integer_above_max_value');
      const maxTokens = v.optionalInteger(body, 'max_completion_tokens', 1) ?? v.optionalInteger(body, 'max_tokens', 1) ?? null;
      const stream = v.optionalBoolean(body, 'stream') === true;
      const streamOptions = v.optionalObject(body, 'stream_options');
      if (streamOptions && !stream) throw badRequest('The \'stream_options\' parameter is only allowed when \'stream\' is enabled.', 'stream_options', 'invalid_value');
      const includeUsage = streamOptions?.['include_usage'] === true;
      const script = chooseScript(body, messages, tools);
      const choices = Array.from({ length: n }, (_, i) => makeChoice(body, script, messages, tools, i, maxTokens ?? Infinity));
      const { prompt, cached } = promptTokens(messages, tools);
      const reasoning = /^(o\d|gpt-5)/.test(model) ? 64 * (1 + (hashInt(seed, 'chat-reasoning', question(messages)) % 3)) : 0;
      const completion = choices.reduce((s, c) => s + c.completion, 0) + reasoning;
      const usage: WireChatUsage = {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      };
      const id = ids.chatId();
      const created = nowSeconds();
      const fingerprint = 'fp_' + digest('fp', model).toString('hex').slice(0, 10);
      if (!stream) {
        const completionObject: WireChatCompletion = {
          id,
          object: 'chat.completion',
          created,
          model,
          choices: choices.map((c, index) => ({
            index,
            message: {
              role: 'assistant',
              content: c.content,
              refusal: null,
              annotations: [],
              ...(c.toolCalls.length > 0 ? { tool_calls: c.toolCalls } : {}),
            },
            logprobs: null,
            finish_reason: c.finish,
          })),
          usage,
          service_tier: 'default',
          system_fingerprint: fingerprint,
        };
        return completionObject;
      }
      const chunks = streamChunks({ id, created, model, fingerprint, choices, usage: includeUsage ? usage : null, seed });
      return new SseReply([id], async (out, fault, onFault) => {
        let i = 0;
        const events: OutEvent[] = [...chunks.map((c) => ({ name: null, data: c })), { name: null, data: '[DONE]', raw: true }];
        await pump(out, async () => events[i++] ?? null, {
          fault,
          onFault,
          // Mid-stream errors of chat streams are a data line with an `error` object (no event name).
          errorEvent: () => ({ name: null, data: STREAM_ERROR }),
        });
      });
    }),
  ];
}

function streamChunks(o: { id: string; created: number; model: string; fingerprint: string; choices: Choice[]; usage: WireChatUsage | null; seed: number }): WireChatChunk[] {
  const chunks: WireChatChunk[] = [];
  const chunk = (index: number, delta: WireChatChunk['choices'][number]['delta'], finish: Choice['finish'] | null): void => {
    const c: WireChatChunk = {
      id: o.id,
      object: 'chat.completion.chunk',
      created: o.created,
      model: o.model,
      service_tier: 'default',
      system_fingerprint: o.fingerprint,
      choices: [{ index, delta, logprobs: null, finish_reason: finish }],
    };
    if (o.usage) c.usage = null;
    c.obfuscation = obfuscation(o.seed, o.id, chunks.length);
    chunks.push(c);
  };
  o.choices.forEach((choice, index) => {
    if (choice.toolCalls.length > 0) {
      choice.toolCalls.forEach((call, k) => {
        const head = { index: k, id: call.id, type: 'function' as const, function: { name: call.function.name, arguments: '' } };
        chunk(index, k === 0 ? { role: 'assistant', content: null, tool_calls: [head], refusal: null } : { tool_calls: [head] }, null);
        for (const piece of tokenPieces(call.function.arguments)) chunk(index, { tool_calls: [{ index: k, function: { arguments: piece } }] }, null);
      });
    } else {
      chunk(index, { role: 'assistant', content: '', refusal: null }, null);
      for (const piece of tokenPieces(choice.content ?? '')) chunk(index, { content: piece }, null);
    }
    chunk(index, {}, choice.finish);
  });
  if (o.usage) {
    chunks.push({
      id: o.id,
      object: 'chat.completion.chunk',
      created: o.created,
      model: o.model,
      service_tier: 'default',
      system_fingerprint: o.fingerprint,
      choices: [],
      usage: o.usage,
      obfuscation: obfuscation(o.seed, o.id, chunks.length),
    });
  }
  return chunks;
}

function obfuscation(seed: number, id: string, n: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const len = 2 + (hashInt(seed, 'chat-obf', id, n) % 8);
  let out = '';
  for (let i = 0; i < len; i++) out += chars[hashInt(seed, 'chat-obf', id, n, i) % chars.length];
  return out;
}
