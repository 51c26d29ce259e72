import type { Attributes } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { instructionsParts } from '../trace/genai-messages';
import { arr, obj, str, type Obj } from '../util/json';

// What a Realtime session is configured with, read from `session.created` / `session.updated` (the
// server's word) or the app's `session.update`, in both shapes the API has had: GA (`output_modalities`,
// `audio.input.{format,turn_detection,transcription}`, `audio.output.{format,voice}`) and beta
// (`modalities`, `voice`, `turn_detection`, `input_audio_transcription`, `input_audio_format`,
// `output_audio_format`). A field the event does not carry keeps its earlier value.

export interface SessionConfig {
  id?: string;
  /** `realtime`, or `transcription` (a transcription-only session: no model, no responses). */
  type?: string;
  model?: string;
  modalities?: string[];
  voice?: string;
  /** `server_vad`, `semantic_vad`, or `none` (turns are the app's). */
  turnDetection?: string;
  tools?: string[];
  /** The model transcribing the user's audio, when transcription is on. */
  transcriptionModel?: string;
  inputFormat?: unknown;
  outputFormat?: unknown;
  instructions?: string;
  /** OpenAI's server-side tracing of the session (GA `tracing`; a voice agent's `workflowName`, `groupId`). */
  workflowName?: string;
  groupId?: string;
}

/** `into` updated with what `session` says. */
export function readSession(into: SessionConfig, session: Obj): void {
  const input = obj(obj(session.audio)?.input);
  const output = obj(obj(session.audio)?.output);
  into.id = str(session.id) ?? into.id;
  into.type = str(session.type) ?? into.type;
  into.model = str(session.model) ?? into.model;
  const modalities = arr(session.output_modalities ?? session.modalities).filter((m): m is string => typeof m === 'string');
  if (modalities.length) into.modalities = modalities;
  const voice = output?.voice ?? session.voice;
  into.voice = str(voice) ?? str(obj(voice)?.id) ?? into.voice;
  const turns = input && 'turn_detection' in input ? input.turn_detection : 'turn_detection' in session ? session.turn_detection : undefined;
  if (turns !== undefined) into.turnDetection = turns === null ? 'none' : (str(obj(turns)?.type) ?? into.turnDetection);
  if ('tools' in session) into.tools = arr(session.tools).map((t) => str(obj(t)?.name) ?? str(obj(t)?.server_label) ?? str(obj(t)?.type) ?? 'tool');
  const transcription = input && 'transcription' in input ? input.transcription : 'input_audio_transcription' in session ? session.input_audio_transcription : undefined;
  if (transcription !== undefined) into.transcriptionModel = str(obj(transcription)?.model);
  into.inputFormat = input?.format ?? session.input_audio_format ?? into.inputFormat;
  into.outputFormat = output?.format ?? session.output_audio_format ?? into.outputFormat;
  into.instructions = str(session.instructions) ?? into.instructions;
  if ('tracing' in session) {
    const tracing = obj(session.tracing);
    into.workflowName = str(tracing?.workflow_name);
    into.groupId = str(tracing?.group_id);
  }
}

/** The session span's attributes for a config (content: the instructions, through `capture`; `idKey`: where its id goes). */
export function sessionAttributes(c: SessionConfig, capture: (key: string, value: unknown) => string | undefined, idKey: string = A.realtimeSessionId): Attributes {
  const attrs: Attributes = {};
  if (c.id) attrs[idKey] = c.id;
  if (c.model) attrs[A.responseModel] = c.model;
  if (c.modalities) attrs['spanlens.realtime.output_modalities'] = c.modalities;
  if (c.voice) attrs['spanlens.realtime.voice'] = c.voice;
  if (c.turnDetection) attrs['spanlens.realtime.turn_detection'] = c.turnDetection;
  if (c.tools) attrs['spanlens.realtime.tools'] = c.tools;
  if (c.transcriptionModel) attrs['spanlens.realtime.transcription_model'] = c.transcriptionModel;
  if (c.workflowName) attrs['spanlens.realtime.tracing.workflow_name'] = c.workflowName;
  if (c.groupId) attrs[A.agentsGroupId] = c.groupId;
  const instructions = c.instructions === undefined ? undefined : capture(A.systemInstructions, instructionsParts(c.instructions));
  if (instructions !== undefined) attrs[A.systemInstructions] = instructions;
  return attrs;
}
