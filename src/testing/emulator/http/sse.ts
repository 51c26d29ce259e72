import { hashInt } from '../engine/ids';

// Server-sent events as the Assistants API frames them (recorded): `event: <name>\ndata: <compact
// JSON>\n\n` per event, the stream closed by `event: done\ndata: [DONE]\n\n`.

export type Chunking = 'event' | 'split';
export const CHUNKINGS: readonly Chunking[] = ['event', 'split'];

export function encodeEvent(name: string, data: unknown): Buffer {
  return encodeRaw(name, JSON.stringify(data));
}

/** An event whose data is written as given (the `done` sentinel, deliberately broken JSON). */
export function encodeRaw(name: string, data: string): Buffer {
  return Buffer.from(`event: ${name}\ndata: ${data}\n\n`, 'utf8');
}

export const DONE = encodeRaw('done', '[DONE]');

/** A deterministic generator of numbers in [0, 1) (mulberry32 seeded from the parts). */
export function seededRandom(...parts: Array<string | number>): () => number {
  let a = hashInt(...parts);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Where `split` chunking cuts one encoded event (sorted offsets in 1..length-1): one to three places
 * anywhere (inside a line, inside the JSON), often inside a multi-byte UTF-8 character when the event
 * has one, and sometimes between the two `\n` that end it — the places a client's decoder gets wrong.
 */
export function cutOffsets(bytes: Uint8Array, random: () => number): number[] {
  const length = bytes.length;
  if (length < 2) return [];
  const cuts = new Set<number>();
  const count = 1 + Math.floor(random() * 3);
  for (let i = 0; i < count; i++) cuts.add(1 + Math.floor(random() * (length - 1)));
  const continuation: number[] = [];
  for (let i = 1; i < length; i++) if (((bytes[i] as number) & 0xc0) === 0x80) continuation.push(i);
  if (continuation.length > 0 && random() < 0.5) cuts.add(continuation[Math.floor(random() * continuation.length)] as number);
  if (random() < 0.34) cuts.add(length - 1);
  return [...cuts].sort((x, y) => x - y);
}
