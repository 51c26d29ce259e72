import { createHash } from 'node:crypto';

// A thread (or conversation) maps to one trace in every process and after restarts, so the ids are a
// pure function of the OpenAI id. SHA-256 gives 32 bytes: 16 for the trace id, 8 for the root span id.
function digest(kind: string, id: string): Buffer {
  return createHash('sha256').update(`spanlens:${kind}:${id}`).digest();
}

// W3C forbids all-zero ids; a hash that happens to be zero gets its last bit set (still deterministic).
function nonZeroHex(bytes: Buffer): string {
  if (bytes.every((b) => b === 0)) bytes[bytes.length - 1] = 1;
  return bytes.toString('hex');
}

/** The trace id of an Assistants thread: 32 lowercase hex chars, identical in every process. */
export function threadTraceId(threadId: string): string {
  return nonZeroHex(digest('thread', threadId).subarray(0, 16));
}

/** The span id of the thread's root span (the span of the call that created the thread). */
export function threadRootSpanId(threadId: string): string {
  return nonZeroHex(digest('thread', threadId).subarray(16, 24));
}

/** The trace id of a Responses API conversation (`conv_…`), derived the way a thread's is. */
export function conversationTraceId(conversationId: string): string {
  return nonZeroHex(digest('conversation', conversationId).subarray(0, 16));
}

/** Which trace a top-level span belongs to, and the parent span id to use without the id generator. */
export interface TraceKey {
  traceId: string;
  fallbackParentSpanId: string;
}

// Keys of recent threads and conversations: a call about a thread needs its key, and a hash per call
// (a native call into OpenSSL) was the largest single cost of a traced non-streaming call. One map per
// kind, keyed by the id itself; cleared when full (a bound, not an LRU).
const KEY_CACHE_MAX = 256;
const keyCaches = { thread: new Map<string, TraceKey>(), conversation: new Map<string, TraceKey>(), group: new Map<string, TraceKey>() };

function traceKey(kind: keyof typeof keyCaches, id: string): TraceKey {
  const cache = keyCaches[kind];
  let key = cache.get(id);
  if (key) return key;
  const d = digest(kind, id);
  key = Object.freeze({ traceId: nonZeroHex(d.subarray(0, 16)), fallbackParentSpanId: nonZeroHex(d.subarray(16, 24)) });
  if (cache.size >= KEY_CACHE_MAX) cache.clear();
  cache.set(id, key);
  return key;
}

export const threadKey = (threadId: string): TraceKey => traceKey('thread', threadId);

export const conversationKey = (conversationId: string): TraceKey => traceKey('conversation', conversationId);

/** The trace of an Agents SDK group (RunConfig.groupId: the app's own conversation id), derived like a thread's. */
export const groupKey = (groupId: string): TraceKey => traceKey('group', groupId);
