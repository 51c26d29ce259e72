// The `openai` 7 copy the repo has (the root devDependency is openai 6, which has no Live API): the
// package's own Live types, type-only (nothing of it is loaded at run time).
import type { DelegationCreatedEvent, ServerEvent, SessionConfig, SessionResource } from '@openai/agents-openai/node_modules/openai/resources/live/live';
import { answerText, tokenPieces } from '../engine/generate';
import type { IdFactory } from '../engine/ids';
import type { StreamFault } from '../http/faults';
import type { MessageSocket } from '../http/sockets';
import type { ResponseContext } from '../responses/context';
import type { ResponseEngine } from '../responses/response-engine';
import { createResponse } from '../responses/routes-responses';
import { streamOverSocket } from '../responses/socket';

// The Live API over WebSocket (`GET /v1/live/sessions` upgraded; openai >= 7.14 `LiveWS`): one session per
// connection, events typed with the package's own Live types, one JSON text frame each:
// - `session.start` (first; the model is in the session, not the URL) → `session.started` with the
//   resolved session (an id, the model, the voice, the delegation); `session.update` → `session.updated`;
// - `session.input_audio.append` (base64 PCM16, 24 kHz): its time counts as session audio, and each append
//   is heard as the next word of the user's line, a `session.input_transcript.delta`;
// - `response.create` (Responses delegation only): the scripted delegation turn, `session.delegation.created`
//   (target `responses`), the Responses engine's stream for the delegation's model and the user's words,
//   each event wrapped as a `response.event` with the `delegation_id`, then the spoken answer as
//   `session.output_transcript.delta`s and `session.output_audio.delta`s (silence, 100 ms each), then
//   `session.usage.updated` with the cumulative audio seconds;
// - `session.close` → `session.closed` (`close_requested`, final usage) and a normal close (1000);
// - anything else, before `session.start`, or without a Responses delegation: an `error` event naming the
//   client event (`client_event_id`). A stream fault applies to the delegation's nested stream.

type Body = Record<string, unknown>;

const BYTES_PER_MS = (24000 * 2) / 1000;
const AUDIO_CHUNK_MS = 100;
const USER_WORDS = ['What', 'is', 'the', 'weather', 'in', 'Paris', 'today?'];

export interface LiveSocketDeps {
  ctx: ResponseContext;
  engine: ResponseEngine;
  ids: IdFactory;
  seed: number;
  record: (event: unknown) => void;
  fault: () => StreamFault | null;
}

/** Serves one upgraded connection. */
export function serveLiveSocket(socket: MessageSocket, deps: LiveSocketDeps): void {
  let session: SessionResource | undefined;
  let audioMs = 0;
  const heard: string[] = [];
  /** Events are answered one at a time, in order (a turn's stream before the next event's answer). */
  let tail = Promise.resolve();
  const send = (event: ServerEvent): Promise<void> => socket.send(JSON.stringify(event));
  const eventId = (): string => deps.ids.hexId('event_').slice(0, 28);
  const usage = () => ({ seconds: Math.round(audioMs) / 1000 });
  const error = (code: string, message: string, client?: string): Promise<void> =>
    send({
      type: 'error',
      event_id: eventId(),
      ...(client ? { client_event_id: client } : {}),
      error: { type: 'invalid_request_error', code, message, ...(client ? { client_event_id: client } : {}) },
    });

  const answer = async (event: Body | undefined): Promise<void> => {
    const client = typeof event?.event_id === 'string' ? event.event_id : undefined;
    const type = event?.type;
    if (type === 'session.start') {
      if (session) return error('session_already_started', 'The session has already started.', client);
      const config = (event?.session ?? {}) as SessionConfig;
      if (typeof config.model !== 'string') return error('missing_required_parameter', 'session.model is required.', client);
      session = {
        ...config,
        id: deps.ids.hexId('sess_').slice(0, 29),
        object: 'live.session',
        expires_at: Math.floor(Date.now() / 1000) + 3600,
        status: 'active',
        audio: { format: config.audio?.format ?? { type: 'audio/pcm', rate: 24000 }, output: { voice: config.audio?.output?.voice ?? 'marin' } },
      } as SessionResource;
      return send({ type: 'session.started', event_id: eventId(), session });
    }
    if (!session) return error('session_not_started', 'Send session.start first.', client);
    switch (type) {
      case 'session.update': {
        const update = (event?.session ?? {}) as Body;
        session = { ...session, ...(update.delegation !== undefined ? { delegation: update.delegation } : {}) } as SessionResource;
        return send({ type: 'session.updated', event_id: eventId(), session });
      }
      case 'session.input_audio.append': {
        const bytes = Buffer.byteLength(typeof event?.audio === 'string' ? event.audio : '', 'base64');
        audioMs += bytes / BYTES_PER_MS;
        const word = USER_WORDS[heard.length % USER_WORDS.length]!;
        heard.push(word);
        return send({ type: 'session.input_transcript.delta', event_id: eventId(), delta: `${heard.length > 1 ? ' ' : ''}${word}`, start_ms: 0, end_ms: Math.round(audioMs) });
      }
      case 'response.create':
        return delegate(client);
      case 'session.close':
        await send({ type: 'session.closed', event_id: eventId(), reason: 'close_requested', session, usage: usage(), ...(client ? { client_event_id: client } : {}) });
        return socket.close(1000);
      default:
        return error('invalid_event', `Unsupported event type '${String(type)}'.`, client);
    }
  };

  /** The scripted delegation turn: the Responses backend's stream, then the spoken answer. */
  const delegate = async (client: string | undefined): Promise<void> => {
    const delegation = session?.delegation as { type?: string; responses?: { model?: string; instructions?: string } } | null | undefined;
    if (delegation?.type !== 'responses') return error('delegation_required', 'response.create requires a Responses delegation.', client);
    const question = heard.join(' ') || 'Hello';
    const m = createResponse(deps.ctx, deps.engine, { model: delegation.responses?.model ?? 'gpt-5-mini', input: question, instructions: delegation.responses?.instructions, stream: true });
    const responseId = m.response.id as string;
    const id = deps.ids.hexId('deleg_').slice(0, 28);
    const created: DelegationCreatedEvent = {
      type: 'session.delegation.created',
      event_id: eventId(),
      offset_ms: Math.round(audioMs),
      delegation: { id, type: 'delegation', target: 'responses', response_id: responseId },
    };
    await send(created);
    await streamOverSocket(m, socket, (nested) => send({ type: 'response.event', event_id: eventId(), delegation_id: id, event: nested as Body }), deps.fault());
    if (socket.closed) return;
    const spoken = answerText(deps.seed, question);
    for (const delta of tokenPieces(spoken)) {
      await socket.pause();
      await send({ type: 'session.output_transcript.delta', event_id: eventId(), delta, start_ms: Math.round(audioMs), end_ms: Math.round(audioMs) });
      audioMs += AUDIO_CHUNK_MS;
      await send({ type: 'session.output_audio.delta', delta: Buffer.alloc(AUDIO_CHUNK_MS * BYTES_PER_MS).toString('base64') });
    }
    await send({ type: 'session.usage.updated', event_id: eventId(), usage: usage(), context_window: { usage_ratio: 0.01 } });
  };

  socket.onMessage((text) => {
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      event = text;
    }
    deps.record(event);
    const body = typeof event === 'object' && event !== null && !Array.isArray(event) ? (event as Body) : undefined;
    tail = tail.then(() => answer(body)).catch(() => undefined);
  });
}
