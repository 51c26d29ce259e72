import { SseWriter } from '../../src/testing/emulator/http/sse-writer';

/**
 * Runs `action` (an app's request) inside the emulator's next stream flush, the window between an SSE
 * writer's last bytes and what the stream does next: a request can land there over a real network.
 * `ran()` says whether it did; `restore()` puts the writer back.
 */
export function duringNextFlush(action: () => Promise<unknown>): { ran: () => boolean; restore: () => void } {
  const flush = SseWriter.prototype.flush;
  let pending: (() => Promise<unknown>) | undefined = action;
  SseWriter.prototype.flush = async function (this: SseWriter) {
    await flush.call(this);
    const run = pending;
    pending = undefined;
    await run?.();
  };
  return { ran: () => pending === undefined, restore: () => void (SseWriter.prototype.flush = flush) };
}
