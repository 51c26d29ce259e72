// Offline test support: an OpenAI API emulator the real `openai` SDK can talk to: Assistants v2, and
// Responses (+ Conversations), Chat Completions and Embeddings.
//
//   const emulator = await startEmulator();
//   const client = new OpenAI({ apiKey: 'test', baseURL: emulator.baseURL });
//   …
//   await emulator.close();
//
// Runs follow deterministic scripts chosen by `metadata.script` on the run or the assistant (see
// EmulatorScript) or, by default, by the tools: function → 'function', code_interpreter → 'code',
// file_search → 'file_search', none → 'answer'.
//
// Responses follow the scripts of ResponseScript (`metadata.script` on the request, else chosen from
// the tools / tool_choice / reasoning); `background: true` responses advance per GET retrieve like runs.
// Apps on the OpenAI Agents SDK script each agent with markers in its instructions, e.g.
// `[emulator:call=get_weather]`, `[emulator:handoff=Weather agent]`, `[emulator:script=function]`,
// `[emulator:true-when=password]` (see emulator/README.md).
//
// `stream: true` on runs.create / createAndRun / submitToolOutputs, responses.create, GET
// /responses/{id}?stream=true and chat.completions.create answers with the real SSE event sequence;
// `GET /v1/responses` upgraded to a WebSocket (needs the `ws` package) answers `response.create` events
// with the same events, one frame each (Responses over WebSocket: openai's ResponsesWS, the Agents SDK's
// useResponsesWebSocket); `GET /v1/realtime?model=…` upgraded is a Realtime session (text and PCM16 audio,
// server VAD turns, transcription, function calls, cancellation, errors). Faults (`x-emulator-fault` request header or the `fault` option) and SSE chunking
// (`x-emulator-chunking` or the `chunking` option) exercise a client's error handling; see EmulatorFault.

import type { Emulator, EmulatorOptions } from './emulator/options';
import { startServer } from './emulator/start';

export type { Emulator, EmulatorFault, EmulatorOptions, EmulatorScript, FaultRequest, RecordedRequest, ResponseScript } from './emulator/options';
export { EMULATOR_SCRIPTS, RESPONSE_SCRIPTS } from './emulator/options';

/** Starts the emulator on loopback (a random free port unless `port` is given). */
export function startEmulator(options?: EmulatorOptions): Promise<Emulator> {
  return startServer(options);
}

export { formatTraceTree, type SpanLike } from './trace-tree';
