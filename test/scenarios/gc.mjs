// Full garbage collections from scenario code, without --expose-gc on the child's command line.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's gc(), made available at runtime. */
export function garbageCollector() {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc');
}

/**
 * Full collections, with turns between them for finalizers (FinalizationRegistry) to run: `times` of
 * them, or fewer once `until()` holds.
 * @param {{ times?: number, until?: () => boolean }} [options]
 */
export async function collectGarbage({ times = 10, until = () => false } = {}) {
  const gc = garbageCollector();
  for (let i = 0; i < times && !until(); i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}
