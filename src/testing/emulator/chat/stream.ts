import { tokenPieces } from '../engine/generate';
import { hashInt } from '../engine/ids';
import type { Choice } from './choices';
import type { WireChatChunk, WireChatUsage } from './types';

// The chunks of a streamed chat completion, in the recorded order: per choice a role chunk, the content
// (or each tool call's head and arguments) a token or so at a time, a finish chunk; then the usage chunk
// when `stream_options.include_usage` asked for it.

export function streamChunks(o: { id: string; created: number; model: string; fingerprint: string; choices: Choice[]; usage: WireChatUsage | null; seed: number }): WireChatChunk[] {
  const chunks: WireChatChunk[] = [];
  // `usage` is null on every chunk but the last when usage was asked for, absent otherwise.
  const push = (choices: WireChatChunk['choices'], usage: WireChatUsage | null | undefined): void => {
    const c: WireChatChunk = { id: o.id, object: 'chat.completion.chunk', created: o.created, model: o.model, service_tier: 'default', system_fingerprint: o.fingerprint, choices };
    if (usage !== undefined) c.usage = usage;
    c.obfuscation = obfuscation(o.seed, o.id, chunks.length);
    chunks.push(c);
  };
  const chunk = (index: number, delta: WireChatChunk['choices'][number]['delta'], finish: Choice['finish'] | null): void => {
    push([{ index, delta, logprobs: null, finish_reason: finish }], o.usage ? null : undefined);
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
  if (o.usage) push([], o.usage);
  return chunks;
}

function obfuscation(seed: number, id: string, n: number): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const len = 2 + (hashInt(seed, 'chat-obf', id, n) % 8);
  let out = '';
  for (let i = 0; i < len; i++) out += chars[hashInt(seed, 'chat-obf', id, n, i) % chars.length];
  return out;
}
