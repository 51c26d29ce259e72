import { after } from 'node:test';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/testing/index';

/** Starts a fresh emulator with these options per call (one per cell run); all of them close after the file's tests. */
export function emulatorPerRun(options: EmulatorOptions): () => Promise<Emulator> {
  const started: Emulator[] = [];
  after(async () => {
    await Promise.all(started.map((e) => e.close()));
  });
  return async () => {
    const e = await startEmulator(options);
    started.push(e);
    return e;
  };
}
