import type { ServerResponse } from 'node:http';
import { cutOffsets, DONE, encodeEvent, seededRandom, type Chunking } from './sse';

// Writes SSE events to a response like a network would deliver them: one write per event, or (split
// chunking) pieces cut at seeded offsets with a turn of the event loop between them, some pieces
// straddling two events. Every write waits for its callback, so output never piles up in memory and a
// cut connection has delivered exactly what was written. At most one timer is pending at a time, and
// close() clears it: nothing stays scheduled once the response or the emulator is gone.

export interface SseWriterOptions {
  chunking: Chunking;
  /** Pause between events (0: a setImmediate, so other requests can interleave). */
  eventDelayMs: number;
  /** Seed parts of the split offsets. */
  seed: ReadonlyArray<string | number>;
}

const EMPTY = Buffer.alloc(0);

export class SseWriter {
  private ended = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private wake: (() => void) | null = null;
  private carry: Buffer = EMPTY;
  private owesPause = false;
  private readonly random: () => number;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: SseWriterOptions,
  ) {
    this.random = seededRandom('sse-split', ...options.seed);
    res.once('close', () => this.close());
  }

  get closed(): boolean {
    return this.ended || this.res.destroyed;
  }

  /** Writes one event (after the pause between events). */
  event(name: string, data: unknown): Promise<void> {
    return this.send(encodeEvent(name, data));
  }

  /** The pause between events, if the last event has not had it yet. */
  async settle(): Promise<void> {
    if (!this.owesPause) return;
    this.owesPause = false;
    await this.pause(this.options.eventDelayMs);
  }

  /** Writes pre-encoded event bytes (after the pause between events). */
  async send(bytes: Buffer): Promise<void> {
    await this.settle();
    this.owesPause = true;
    if (this.closed) return;
    if (this.options.chunking === 'event') {
      await this.write(bytes);
      return;
    }
    const base = this.carry.length;
    const all = base > 0 ? Buffer.concat([this.carry, bytes]) : bytes;
    this.carry = EMPTY;
    const pieces: Buffer[] = [];
    let start = 0;
    for (const offset of cutOffsets(bytes, this.random)) {
      pieces.push(all.subarray(start, base + offset));
      start = base + offset;
    }
    pieces.push(all.subarray(start));
    // Sometimes the tail waits for the next event, so a write holds the end of one and the start of the next.
    if (pieces.length > 1 && this.random() < 0.25) this.carry = pieces.pop() as Buffer;
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) await this.pause(0);
      if (this.closed) return;
      await this.write(pieces[i] as Buffer);
    }
  }

  /** Writes a held-back tail (split chunking); called before the stream waits or ends. */
  async flush(): Promise<void> {
    if (this.carry.length === 0) return;
    const tail = this.carry;
    this.carry = EMPTY;
    await this.pause(0);
    if (!this.closed) await this.write(tail);
  }

  /** The closing `done` event and a clean end of the response. */
  async done(): Promise<void> {
    await this.send(DONE);
    await this.end();
  }

  /** Ends the response cleanly (chunked terminator), whatever was or wasn't sent. */
  async end(): Promise<void> {
    await this.flush();
    if (!this.closed) this.res.end();
    this.ended = true;
  }

  /** Destroys the connection mid-stream (no terminating chunk), after the written bytes left. */
  async cut(): Promise<void> {
    await this.flush();
    this.close();
    this.res.destroy();
  }

  /**
   * Writes what is buffered, then waits while `waiting()` holds, until `subscribe` calls its wake-up or
   * the stream closes. Checked after the write: the bytes it sends complete an event the app may act on
   * (a cancel) before anyone subscribed, and that change would wake nobody.
   */
  async flushThenWait(waiting: () => boolean, subscribe: (wake: () => void) => () => void): Promise<void> {
    await this.flush();
    if (waiting()) await this.until(subscribe);
  }

  /** Resolves once `subscribe` calls its wake-up, or the stream closes; unsubscribes either way. */
  private async until(subscribe: (wake: () => void) => () => void): Promise<void> {
    if (this.closed) return;
    let unsubscribe: () => void = () => undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      unsubscribe = subscribe(resolve);
    });
    this.wake = null;
    unsubscribe();
  }

  /** Closes the stream and its connection (emulator close / reset). */
  abort(): void {
    this.close();
    this.res.destroy();
  }

  /** Stops writing and clears the pending timer (the response or the emulator is closing). */
  close(): void {
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private pause(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.timer = null;
        this.immediate = null;
        this.wake = null;
        resolve();
      };
      this.wake = done;
      if (ms > 0) this.timer = setTimeout(done, ms);
      else this.immediate = setImmediate(done);
    });
  }

  private write(chunk: Buffer): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (this.wake === done) this.wake = null;
        resolve();
      };
      this.wake = done;
      this.res.write(chunk, () => done());
    });
  }
}
