// A server-sent-events decoder for observing streams: bytes in (split anywhere, even inside a UTF-8
// character or between \r and \n), complete events out. It sees a copy of what the SDK parses.
//
// It works on the bytes: line ends are found with the native byte search, and only the values of
// `event:` and `data:` lines are decoded (each a complete line, so a UTF-8 character is never cut).
// The whole chunk is not decoded to a string and walked character by character, which at the
// client's maximum event rate cost as much as the rest of the stream observation.
export interface SSEEvent {
  event: string;
  data: string;
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const EMPTY = new Uint8Array(0);
const DATA = [100, 97, 116, 97]; // "data"
const EVENT = [101, 118, 101, 110, 116]; // "event"

export class SSEDecoder {
  /** Bytes of an unfinished line from earlier chunks. */
  private pending: Uint8Array = EMPTY;
  private event = '';
  private data: string[] = [];
  /** The last chunk ended with \r: a \n opening the next one belongs to the same line end. */
  private sawCR = false;
  private first = true;

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: Uint8Array | string): SSEEvent[] {
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : toBuffer(chunk);
    const out: SSEEvent[] = [];
    let start = 0;
    if (this.sawCR) {
      this.sawCR = false;
      if (bytes[0] === LF) start = 1;
    }
    if (this.pending.length) {
      // Rare (an event cut across chunks): join the unfinished line with this chunk, then scan it.
      const joined = Buffer.allocUnsafe(this.pending.length + bytes.length - start);
      joined.set(this.pending, 0);
      joined.set(start ? bytes.subarray(start) : bytes, this.pending.length);
      bytes = joined;
      start = 0;
      this.pending = EMPTY;
    }
    const n = bytes.length;
    // A chunk without \r (the usual case) needs only the \n search.
    const crFree = bytes.indexOf(CR, start) < 0;
    while (start < n) {
      let end: number;
      let next: number;
      if (crFree) {
        end = bytes.indexOf(LF, start);
        if (end < 0) break;
        next = end + 1;
      } else {
        end = -1;
        for (let i = start; i < n; i++) {
          const c = bytes[i];
          if (c === LF || c === CR) {
            end = i;
            break;
          }
        }
        if (end < 0) break;
        if (bytes[end] === CR) {
          if (end + 1 < n) next = bytes[end + 1] === LF ? end + 2 : end + 1;
          else {
            next = end + 1;
            this.sawCR = true;
          }
        } else next = end + 1;
      }
      this.line(bytes, start, end, out);
      start = next;
    }
    // Copied: the chunk itself goes on to the SDK.
    if (start < n) this.pending = Uint8Array.prototype.slice.call(bytes, start);
    return out;
  }

  /** End of stream: a final event without its blank line is not dispatched (per the SSE spec). */
  private line(bytes: Buffer, start: number, end: number, out: SSEEvent[]): void {
    if (this.first) {
      this.first = false;
      // A UTF-8 byte order mark opening the stream is not part of the first line.
      if (end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
    }
    if (start === end) {
      if (this.data.length || this.event) out.push({ event: this.event || 'message', data: this.data.length === 1 ? this.data[0]! : this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (bytes[start] === COLON) return;
    let colon = bytes.indexOf(COLON, start);
    if (colon < 0 || colon > end) colon = end;
    let value = colon + 1;
    if (value < end && bytes[value] === SPACE) value++;
    if (value > end) value = end;
    if (is(bytes, start, colon, DATA)) {
      this.data.push(bytes.toString('utf8', value, end));
    } else if (is(bytes, start, colon, EVENT)) {
      this.event = bytes.toString('utf8', value, end);
    }
  }
}

function is(bytes: Buffer, start: number, end: number, name: number[]): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (bytes[start + i] !== name[i]) return false;
  return true;
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
