// Offline test support: an OpenAI Assistants v2 API emulator the real `openai` SDK can talk to.
//
//   const emulator = await startEmulator();
//   const client = new OpenAI({ apiKey: 'test', baseURL: emulator.baseURL });
//   …
//   await emulator.close();
//
// Runs follow deterministic scripts chosen by `metadata.script` on the run or the assistant (see
// EmulatorScript) or, by default, by the tools: function → 'function', code_interpreter → 'code',
// file_search → 'file_search', none → 'answer'.

import type { Emulator, EmulatorOptions } from './emulator/options';
import { startServer } from './emulator/server';

export type { Emulator, EmulatorOptions, EmulatorScript, RecordedRequest } from './emulator/options';
export { EMULATOR_SCRIPTS } from './emulator/options';

/** Starts the emulator on loopback (a random free port unless `port` is given). */
export function startEmulator(options?: EmulatorOptions): Promise<Emulator> {
  return startServer(options);
}
