import { arr, obj, str, type Obj } from '../util/json';

// Realtime conversation items in the shape the one output-item mapping (responses/output-item-spans.ts)
// reads. Function calls and MCP items are the Responses shapes already; a message's content parts differ:
// `output_text` / `text` carry `text`, `output_audio` / `audio` (and the user's `input_audio`) carry a
// `transcript` and, on some events, the audio itself as base64. The mapped item keeps the text (a
// transcript stands for its audio) and never the audio bytes.

/** The item as the output-item mapping reads it: message parts as text, audio dropped. */
export function itemForSpans(item: Obj): Obj {
  if (item.type !== 'message') return withoutAudio(item);
  const content = arr(item.content).map((raw) => {
    const part = obj(raw);
    const text = str(part?.text) ?? str(part?.transcript) ?? '';
    return { type: 'output_text', text };
  });
  return { ...withoutAudio(item), content };
}

function withoutAudio(item: Obj): Obj {
  if (!('audio' in item)) return item;
  const { audio: _audio, ...rest } = item;
  return rest;
}

/** The text of a message item's parts (text, or a transcript of audio), joined; undefined without any. */
export function itemText(item: Obj): string | undefined {
  const texts = arr(item.content)
    .map((raw) => str(obj(raw)?.text) ?? str(obj(raw)?.transcript))
    .filter((t): t is string => t !== undefined);
  return texts.length ? texts.join('') : undefined;
}

/** Bytes of a base64 string (audio deltas and appends are counted, never kept). */
export function base64Bytes(b64: unknown): number {
  if (typeof b64 !== 'string' || !b64) return 0;
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((b64.length * 3) / 4) - pad);
}

/**
 * Bytes per second of an audio format, for durations: GA formats are objects (`audio/pcm` at `rate`,
 * 16-bit mono; `audio/pcmu`, `audio/pcma` 8 kHz, 8-bit), beta ones strings (`pcm16` at 24 kHz,
 * `g711_ulaw`, `g711_alaw`). Undefined for a format this does not know (no duration then).
 */
export function bytesPerSecond(format: unknown): number | undefined {
  const f = obj(format);
  const type = str(f?.type) ?? str(format);
  if (type === 'audio/pcm' || type === 'pcm16') return (typeof f?.rate === 'number' && f.rate > 0 ? f.rate : 24000) * 2;
  if (type === 'audio/pcmu' || type === 'audio/pcma' || type === 'g711_ulaw' || type === 'g711_alaw') return 8000;
  return undefined;
}
