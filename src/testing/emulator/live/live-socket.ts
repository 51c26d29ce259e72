// The `openai` 7 copy the repo has (the root devDependency is openai 6, which has no Live API): the
// package's own Live types, type-only (nothing of it is loaded at run time).
import type { DelegationCreatedEvent, ForkSessionConfig, ServerEvent, SessionConfig, SessionResource } from '@openai/agents-openai/node_modules/openai/resources/live/live';
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
// Fork (`GET /v1/live/sessions/{id}/fork`, `ForksWS`): a new session from a stored one (started with
// `store: true`; kept, with its conversation, after it closes). Its `session.start` carries only overrides
// (`ForkSessionConfig`: a model is refused, the Responses backend's settings merge into the stored ones,
// `store`); the new session has a new id, the stored model, delegation and heard words, and audio time of
// its own. Then it is a session like any other. An unknown or unstored id: as for a sideband.

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
  /** Closed, kept because it was stored (what a fork starts from; no sideband attaches to it). */
  closed?: boolean;
}

/** A connection to an existing session: a sideband attaches to it, a fork starts a new one from it. */
export interface LiveJoin {
  type: 'attach' | 'fork';
  sessionId: string;
}

export interface LiveSocketDeps {
  /** The emulator's started sessions (and closed stored ones), by id (what a sideband attaches to, a fork starts from). */
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

/** Serves one upgraded connection: a primary one, a sideband attached to a session, or a fork of a stored one. */
export function serveLiveSocket(socket: MessageSocket, deps: LiveSocketDeps, join?: LiveJoin): void {
  let state: LiveSessionState | undefined;
  const attach = join?.type === 'attach';
  /** The stored session a fork starts from (until its session.start). */
  let source: LiveSessionState | undefined;
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

  /** A session starts: registered, and its start announced. */
  const started = (resource: SessionResource, heard: string[]): Promise<void> => {
    state = { resource, audioMs: 0, heard, sockets: new Set([socket]) };
    deps.sessions.set(resource.id, state);
    return send({ type: 'session.started', event_id: eventId(), session: resource });
  };
  const newId = (): string => deps.ids.hexId('sess_').slice(0, 29);
  const expiresAt = (): number => Math.floor(Date.now() / 1000) + 3600;

  /** A fork's session.start: the stored session with the overrides, as a new session. */
  const fork = (from: LiveSessionState, overrides: ForkSessionConfig & { model?: unknown }, client: string | undefined): Promise<void> => {
    if (overrides.model !== undefined) return error('invalid_parameter', "A fork inherits the stored session's model; do not supply session.model.", client);
    const stored = from.resource;
    let delegation = stored.delegation;
    if (overrides.delegation) {
      const current = stored.delegation as { type?: string; responses?: object } | null | undefined;
      if (current?.type !== 'responses') return error('invalid_parameter', 'Delegation overrides need a stored session with a Responses delegation.', client);
      const { responses, acknowledgement_delay_ms } = overrides.delegation;
      delegation = { ...current, ...(acknowledgement_delay_ms !== undefined ? { acknowledgement_delay_ms } : {}), responses: { ...current.responses, ...responses } } as SessionResource['delegation'];
    }
    const audio = overrides.audio?.format ? { ...stored.audio, format: overrides.audio.format } : stored.audio;
    const resource = { ...stored, id: newId(), expires_at: expiresAt(), status: 'active', delegation, audio, store: overrides.store ?? stored.store } as SessionResource;
    // The conversation is inherited: the words heard so far.
    return started(resource, [...from.heard]);
  };

  const answer = async (event: Body | undefined): Promise<void> => {
    const client = typeof event?.event_id === 'string' ? event.event_id : undefined;
    const type = event?.type;
    if (type === 'session.start' && source && !state) return fork(source, (event?.session ?? {}) as ForkSessionConfig, client);
    if (type === 'session.start') {
      if (state || attach) return error('session_already_started', 'The session has already started.', client);
      const config = (event?.session ?? {}) as SessionConfig;
      if (typeof config.model !== 'string') return error('missing_required_parameter', 'session.model is required.', client);
      const resource = {
        ...config,
        id: newId(),
        object: 'live.session',
        expires_at: expiresAt(),
        status: 'active',
        audio: { format: config.audio?.format ?? { type: 'audio/pcm', rate: 24000 }, output: { voice: config.audio?.output?.voice ?? 'marin' } },
      } as SessionResource;
      return started(resource, []);
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
        // A stored session stays (what a fork starts from), with what was said in it.
        if (st.resource.store) st.closed = true;
        else deps.sessions.delete(st.resource.id);
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

  if (join) {
    const found = deps.sessions.get(join.sessionId);
    const usable = join.type === 'attach' ? found && !found.closed : found?.resource.store;
    if (!found || !usable) {
      const what = join.type === 'attach' ? 'active' : 'stored';
      void error('session_not_found', `No ${what} session with id '${join.sessionId}'.`).then(() => socket.close(1008));
      return;
    }
    if (join.type === 'fork') source = found;
    else {
      state = found;
      found.sockets.add(socket);
      void reply({ type: 'session.started', event_id: eventId(), session: found.resource });
    }
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
