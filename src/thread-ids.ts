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
