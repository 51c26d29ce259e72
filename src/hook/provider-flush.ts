import type { DiagLogger } from '@opentelemetry/api';

/**
 * A standard `sdk.shutdown()` (or a serverless handler's `forceFlush()`) flushes the tracer provider but
 * never calls an instrumentation's `disable()`. Work we still hold would then be lost: a finished run whose
 * span ends after its steps fetch, a run or stream still open. So the provider's `shutdown` and
 * `forceFlush` first let us finish (`before(final)`), then do what they always did, with the same result.
 */
export type BeforeFlush = (final: boolean) => Promise<void>;

/** How long a flush may wait for our background work (steps fetches) before it goes on without it. */
const MAX_WAIT_MS = 10_000;

const watched = new WeakSet<object>();

interface Flushable {
  shutdown?: (...args: unknown[]) => unknown;
  forceFlush?: (...args: unknown[]) => unknown;
}

/**
 * Watches the SDK tracer provider behind `provider` (the API's proxy until the SDK registers one). Returns
 * false while there is none yet, so the caller tries again later; true once watched (or not watchable).
 */
export function watchProviderFlush(provider: unknown, before: BeforeFlush, diag: DiagLogger): boolean {
  let target = provider as (Flushable & { getDelegate?: () => unknown }) | undefined;
  if (typeof target?.getDelegate === 'function') target = target.getDelegate() as typeof target;
  // The API's no-op provider (no SDK registered yet) has neither method: not yet.
  if (!target || typeof target !== 'object' || typeof target.shutdown !== 'function') return false;
  if (watched.has(target)) return true;
  watched.add(target);
  for (const [method, final] of [
    ['shutdown', true],
    ['forceFlush', false],
  ] as const) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    target[method] = function flushOursFirst(this: unknown, ...args: unknown[]) {
      return bounded(before(final), diag).then(() => original.apply(this, args));
    };
  }
  return true;
}

/** Our part of a flush never fails the app's call and never holds it longer than MAX_WAIT_MS. */
function bounded(work: Promise<void>, diag: DiagLogger): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      diag.warn(`spanlens: background work still running after ${MAX_WAIT_MS} ms at flush; flushing without it`);
      resolve();
    }, MAX_WAIT_MS);
    timer.unref?.();
  });
  return Promise.race([work.catch((err: unknown) => diag.error('spanlens: error while finishing spans before a flush', err)), limit]).finally(() => clearTimeout(timer));
}
