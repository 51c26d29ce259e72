// Read once: the getter is a native call each time, and the origin does not change within a process.
const TIME_ORIGIN = performance.timeOrigin;

/** Epoch milliseconds with sub-millisecond precision: the clock of every span time we set. */
export const now = (): number => TIME_ORIGIN + performance.now();
