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
// - `session.close` → `session.closed` (`close_requested`, final usage) and a normal close (1000) of every
//   connection of the session;
// - anything else, before `session.start`, or without a Responses delegation: an `error` event naming the
//   client event (`client_event_id`). A stream fault applies to the delegation's nested stream.
// Sideband (`GET /v1/live/sessions/{id}/attach`, `SidebandWS`): a second connection to a started session.
// It gets `session.started` (the session as it is) on attach, may send the same commands but audio, and
// every server event of the session goes to all its connections. An unknown id: an `error` event
// (`session_not_found`) and a close (1008).

type Body = Record<string, unknown>;

const BYTES_PER_MS = (24000 * 2) / 1000;
const AUDIO_CHUNK_MS = 100;
const USER_WORDS = ['What', 'is', 'the', 'weather', 'in', 'Paris', 'today?'];

/** A started session: its state and its connections (the primary first, then any sidebands). */
interface LiveSessionState {
  resource: SessionResource;
  audioMs: number;
  heard: string[];
  sockets: Set<MessageSocket>;
}

export interface LiveSocketDeps {
  /** The emulator's started sessions, by id (what a sideband attaches to). */
  sessions: Map<string, LiveSessionState>;
  ctx: ResponseContext;
  engine: ResponseEngine;
  ids: IdFactory;
  seed: number;
  record: (event: unknown) => void;
  fault: () => StreamFault | null;
}

/** The sessions table an emulator keeps (cleared with its state). */
export const liveSessions = (): Map<string, LiveSessionState> => new Map();

/** Serves one upgraded connection: a primary one, or a sideband attached to `attach` (a session id). */
export function serveLiveSocket(socket: MessageSocket, deps: LiveSocketDeps, attach?: string): void {
  let state: LiveSessionState | undefined;
  /** Events are answered one at a time, in order (a turn's stream before the next event's answer). */
  let tail = Promise.resolve();
  const eventId = (): string => deps.ids.hexId('event_').slice(0, 28);
  /** A server event of the session: to every connection of it (before the session started, to this one). */
  const send = async (event: ServerEvent): Promise<void> => {
    const text = JSON.stringify(event);
    await Promise.all([...(state?.sockets ?? [socket])].map((s) => s.send(text)));
  };
  /** An answer to this connection alone (an error naming its command). */
  const reply = (event: ServerEvent): Promise<void> => socket.send(JSON.stringify(event));
  const usage = () => ({ seconds: Math.round(state?.audioMs ?? 0) / 1000 });
  const error = (code: string, message: string, client?: string): Promise<void> =>
    reply({
      type: 'error',
      event_id: eventId(),
      ...(client ? { client_event_id: client } : {}),
      error: { type: 'invalid_request_error', code, message, ...(client ? { client_event_id: client } : {}) },
    });

  const answer = async (event: Body | undefined): Promise<void> => {
    const client = typeof event?.event_id === 'string' ? event.event_id : undefined;
    const type = event?.type;
    if (type === 'session.start') {
      if (state || attach) return error('session_already_started', 'The session has already started.', client);
      const config = (event?.session ?? {}) as SessionConfig;
      if (typeof config.model !== 'string') return error('missing_required_parameter', 'session.model is required.', client);
      const resource = {
        ...config,
        id: deps.ids.hexId('sess_').slice(0, 29),
        object: 'live.session',
        expires_at: Math.floor(Date.now() / 1000) + 3600,
        status: 'active',
        audio: { format: config.audio?.format ?? { type: 'audio/pcm', rate: 24000 }, output: { voice: config.audio?.output?.voice ?? 'marin' } },
      } as SessionResource;
      state = { resource, audioMs: 0, heard: [], sockets: new Set([socket]) };
      deps.sessions.set(resource.id, state);
      return send({ type: 'session.started', event_id: eventId(), session: resource });
    }
    if (!state) return error('session_not_started', 'Send session.start first.', client);
    const st = state;
    switch (type) {
      case 'session.update': {
        const update = (event?.session ?? {}) as Body;
        if (update.delegation !== undefined) st.resource = { ...st.resource, delegation: update.delegation } as SessionResource;
        return send({ type: 'session.updated', event_id: eventId(), session: st.resource });
      }
      case 'session.input_audio.append': {
        if (attach) return error('invalid_event', 'Audio is appended on the primary connection.', client);
        const bytes = Buffer.byteLength(typeof event?.audio === 'string' ? event.audio : '', 'base64');
        st.audioMs += bytes / BYTES_PER_MS;
        const word = USER_WORDS[st.heard.length % USER_WORDS.length]!;
        st.heard.push(word);
        return send({ type: 'session.input_transcript.delta', event_id: eventId(), delta: `${st.heard.length > 1 ? ' ' : ''}${word}`, start_ms: 0, end_ms: Math.round(st.audioMs) });
      }
      case 'response.create':
        return delegate(st, client);
      case 'session.close':
        await send({ type: 'session.closed', event_id: eventId(), reason: 'close_requested', session: st.resource, usage: usage(), ...(client ? { client_event_id: client } : {}) });
        deps.sessions.delete(st.resource.id);
        for (const s of st.sockets) s.close(1000);
        return;
      default:
        return error('invalid_event', `Unsupported event type '${String(type)}'.`, client);
    }
  };

  /** The scripted delegation turn: the Responses backend's stream, then the spoken answer. */
  const delegate = async (st: LiveSessionState, client: string | undefined): Promise<void> => {
    const delegation = st.resource.delegation as { type?: string; responses?: { model?: string; instructions?: string } } | null | undefined;
    if (delegation?.type !== 'responses') return error('delegation_required', 'response.create requires a Responses delegation.', client);
    const question = st.heard.join(' ') || 'Hello';
    const m = createResponse(deps.ctx, deps.engine, { model: delegation.responses?.model ?? 'gpt-5-mini', input: question, instructions: delegation.responses?.instructions, stream: true });
    const responseId = m.response.id as string;
    const id = deps.ids.hexId('deleg_').slice(0, 28);
    const created: DelegationCreatedEvent = {
      type: 'session.delegation.created',
      event_id: eventId(),
      offset_ms: Math.round(st.audioMs),
      delegation: { id, type: 'delegation', target: 'responses', response_id: responseId },
    };
    await send(created);
    await streamOverSocket(m, socket, (nested) => send({ type: 'response.event', event_id: eventId(), delegation_id: id, event: nested as Body }), deps.fault());
    if (socket.closed) return;
    const spoken = answerText(deps.seed, question);
    for (const delta of tokenPieces(spoken)) {
      await socket.pause();
      await send({ type: 'session.output_transcript.delta', event_id: eventId(), delta, start_ms: Math.round(st.audioMs), end_ms: Math.round(st.audioMs) });
      st.audioMs += AUDIO_CHUNK_MS;
      await send({ type: 'session.output_audio.delta', delta: Buffer.alloc(AUDIO_CHUNK_MS * BYTES_PER_MS).toString('base64') });
    }
    await send({ type: 'session.usage.updated', event_id: eventId(), usage: usage(), context_window: { usage_ratio: 0.01 } });
  };

  if (attach !== undefined) {
    const attached = deps.sessions.get(attach);
    if (!attached) {
      void error('session_not_found', `No active session with id '${attach}'.`).then(() => socket.close(1008));
      return;
    }
    state = attached;
    attached.sockets.add(socket);
    void reply({ type: 'session.started', event_id: eventId(), session: attached.resource });
  }

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
