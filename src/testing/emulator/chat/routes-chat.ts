import { badRequest, invalidType, invalidValue, missingParam } from '../engine/errors';
import { digest, hashInt, type IdFactory } from '../engine/ids';
import { nowSeconds } from '../engine/store';
import { tokens } from '../engine/usage';
import * as v from '../engine/validate';
import { STREAM_ERROR } from '../http/faults';
import { route, type Route } from '../http/router';
import { pump, SseReply, type OutEvent } from '../http/sse-reply';
import { chooseScript, isObject, makeChoice, messageText, question, type Body, type Choice } from './choices';
import { streamChunks } from './stream';
import type { WireChatCompletion, WireChatUsage } from './types';

// POST /chat/completions: one answer per choice (`n`), function tool calls, `response_format`
// json_schema / json_object content, `max_completion_tokens` cuts (finish_reason 'length'), and with
// `stream: true` the real chunk sequence (data-only SSE lines, `data: [DONE]` at the end; a final chunk
// with empty `choices` and the usage when `stream_options.include_usage`). What a chat request does:
// `metadata.script` ('answer', 'function', 'parallel_functions', 'incomplete'), else a request ending
// with `role: tool` messages answers with their contents, tool_choice 'none' answers, tool_choice
// 'required' / a named function or any function tool calls a function, otherwise it answers.
// Prompt caching: a request whose leading messages an earlier request already sent gets those tokens
// (in blocks of 16) as `prompt_tokens_details.cached_tokens`.

const PER_MESSAGE_OVERHEAD = 4;
const PER_REQUEST_OVERHEAD = 3;

/** A chat request's parameters, validated. */
interface ChatRequest {
  body: Body;
  model: string;
  messages: Body[];
  tools: Body[];
  n: number;
  maxTokens: number | null;
  stream: boolean;
  includeUsage: boolean;
}

function parseMessages(body: Body): Body[] {
  const rawMessages = v.optionalArray(body, 'messages');
  if (!rawMessages) throw missingParam('messages');
  if (rawMessages.length === 0) {
    throw badRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'messages', 'empty_array');
  }
  return rawMessages.map((m, i) => {
    if (!isObject(m)) throw invalidType(`messages[${i}]`, 'an object', m);
    const role = m['role'];
    if (!['system', 'developer', 'user', 'assistant', 'tool', 'function'].includes(String(role))) {
      throw invalidValue(`messages[${i}].role`, `Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`);
    }
    return m;
  });
}

function parseRequest(raw: unknown): ChatRequest {
  const body = v.asBody(raw);
  const model = v.requiredString(body, 'model');
  const messages = parseMessages(body);
  const tools = (v.optionalArray(body, 'tools') ?? []).map((t, i) => {
    if (!isObject(t)) throw invalidType(`tools[${i}]`, 'an object', t);
    return t;
  });
  const n = v.optionalInteger(body, 'n', 1) ?? 1;
  if (n > 128) throw badRequest(`Invalid 'n': integer above maximum value. Expected a value <= 128, but got ${n} instead.`, 'n', 'integer_above_max_value');
  const maxTokens = v.optionalInteger(body, 'max_completion_tokens', 1) ?? v.optionalInteger(body, 'max_tokens', 1) ?? null;
  const stream = v.optionalBoolean(body, 'stream') === true;
  const streamOptions = v.optionalObject(body, 'stream_options');
  if (streamOptions && !stream) throw badRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options', 'invalid_value');
  return { body, model, messages, tools, n, maxTokens, stream, includeUsage: streamOptions?.['include_usage'] === true };
}

/** Prompt tokens, and the cached share: the longest prefix of the messages an earlier request sent (remembered in `seenPrefixes`). */
function promptTokens(seenPrefixes: Map<string, number>, messages: Body[], tools: Body[]): { prompt: number; cached: number } {
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

function chatUsage(seed: number, r: ChatRequest, choices: Choice[], prompt: number, cached: number): WireChatUsage {
  const reasoning = /^(o\d|gpt-5)/.test(r.model) ? 64 * (1 + (hashInt(seed, 'chat-reasoning', question(r.messages)) % 3)) : 0;
  const completion = choices.reduce((s, c) => s + c.completion, 0) + reasoning;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

interface Answer {
  id: string;
  created: number;
  model: string;
  fingerprint: string;
  choices: Choice[];
  usage: WireChatUsage;
}

function completionObject(a: Answer): WireChatCompletion {
  return {
    id: a.id,
    object: 'chat.completion',
    created: a.created,
    model: a.model,
    choices: a.choices.map((c, index) => ({
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
    usage: a.usage,
    service_tier: 'default',
    system_fingerprint: a.fingerprint,
  };
}

function streamReply(seed: number, a: Answer, includeUsage: boolean): SseReply {
  const chunks = streamChunks({ id: a.id, created: a.created, model: a.model, fingerprint: a.fingerprint, choices: a.choices, usage: includeUsage ? a.usage : null, seed });
  return new SseReply([a.id], async (out, fault, onFault) => {
    let i = 0;
    const events: OutEvent[] = [...chunks.map((c) => ({ name: null, data: c })), { name: null, data: '[DONE]', raw: true }];
    await pump(out, async () => events[i++] ?? null, {
      fault,
      onFault,
      // Mid-stream errors of chat streams are a data line with an `error` object (no event name).
      errorEvent: () => ({ name: null, data: STREAM_ERROR }),
    });
  });
}

/** `seenPrefixes`: hashes of the message lists' prefixes seen so far → their prompt tokens (prompt caching). */
export function chatRoutes(ids: IdFactory, seed: number, seenPrefixes: Map<string, number>): Route[] {
  return [
    route('POST', '/chat/completions', (req) => {
      const r = parseRequest(req.body);
      const script = chooseScript(r.body, r.messages, r.tools);
      const choices = Array.from({ length: r.n }, (_, i) => makeChoice(ids, seed, r.body, script, r.messages, r.tools, i, r.maxTokens ?? Infinity));
      const { prompt, cached } = promptTokens(seenPrefixes, r.messages, r.tools);
      const usage = chatUsage(seed, r, choices, prompt, cached);
      const id = ids.chatId();
      const fingerprint = 'fp_' + digest('fp', r.model).toString('hex').slice(0, 10);
      const answer: Answer = { id, created: nowSeconds(), model: r.model, fingerprint, choices, usage };
      return r.stream ? streamReply(seed, answer, r.includeUsage) : completionObject(answer);
    }),
  ];
}
