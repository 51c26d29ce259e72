// A server-sent-events decoder for observing streams: bytes in (split anywhere, even inside a UTF-8
// character or between \r and \n), complete events out. It sees a copy of what the SDK parses.
export interface SSEEvent {
  event: string;
  data: string;
}

export class SSEDecoder {
  private readonly text = new TextDecoder();
  private pending = '';
  private event = '';
  private data: string[] = [];
  private sawCR = false;

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: Uint8Array | string): SSEEvent[] {
    return this.lines(typeof chunk === 'string' ? chunk : this.text.decode(chunk, { stream: true }));
  }

  /** End of stream: a final event without its blank line is not dispatched (per the SSE spec). */
  end(): SSEEvent[] {
    return this.lines(this.text.decode());
  }

  private lines(text: string): SSEEvent[] {
    const out: SSEEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (c === 10 && this.sawCR && i === start && this.pending === '') {
        // the \n of a \r\n split across chunks
        this.sawCR = false;
        start = i + 1;
        continue;
      }
      this.line(this.pending + text.slice(start, i), out);
      this.pending = '';
      this.sawCR = c === 13;
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    if (start < text.length) {
      this.pending += text.slice(start);
      this.sawCR = false;
    }
    return out;
  }

  private line(line: string, out: SSEEvent[]): void {
    if (line === '') {
      if (this.data.length || this.event) out.push({ event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
  }
}
