// Full garbage collections from scenario code, without --expose-gc on the child's command line.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's gc(), made available at runtime. */
export function garbageCollector() {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc');
}

/** Several full collections, with turns between them for finalizers (FinalizationRegistry) to run. */
export async function collectGarbage(times = 10) {
  const gc = garbageCollector();
  for (let i = 0; i < times; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}
