// The `openai` 7 copy the repo has (the root devDependency is openai 6, which has no Live API): the
// package's own Live types, type-only (nothing of it is loaded at run time).
import type {
  DecisionEvent,
  DecisionTrigger,
  DelegationCreatedEvent,
  ForkSessionConfig,
  ServerEvent,
  SessionConfig,
  SessionResource,
} from '@openai/agents-openai/node_modules/openai/resources/live/live';
import { answerText, tokenPieces } from '../engine/generate';
import { decide, type DecisionQuestion } from '../engine/decisions';
import { ApiError } from '../engine/errors';
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
//   (target `responses`), the Responses engine's stream for the delegation's model, tools and the user's
//   words, each event wrapped as a `response.event` with the `delegation_id`, then the spoken answer as
//   `session.output_transcript.delta`s and `session.output_audio.delta`s (silence, 100 ms each), then
//   `session.usage.updated` with the cumulative audio seconds. A response that calls functions waits for
//   their results: `response.item.create` items (no answer of their own) and the next `response.create`
//   continue it (the backend conversation chained by previous_response_id), streamed under the same
//   delegation id, spoken once it answers;
// - the user's line heard out (its last word, `today?`) with a client delegation (the default) or a Decisions
//   one: the Live model delegates it (`session.delegation.created`, target `client` / `decisions`). A client
//   delegation waits for the app: `session.commentary.append` naming it is its result (acknowledged, then
//   spoken); `session.thinking.append` / `session.instructions.append` are acknowledged (a delegation id must
//   be an open client delegation's). A Decisions delegation completes at once: a `decision.event`
//   (`decision.completed` with the Decision engine/decisions.ts gives for the configured model and
//   questions and the words heard), then a short spoken answer. `decision.create` (Decisions delegation only)
//   evaluates the same questions now (`delegation_id`, `trigger_id` null);
// - triggers (`session.triggers`): each transcript delta of a watched type fires its questions, a
//   `decision.event` naming the trigger firing and the delta (`source_event_id`);
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
/** A session's delegation settings, as far as the emulator reads them. */
type Backend =
  { type: 'client' } | { type: 'responses'; responses?: { model?: string; instructions?: string; tools?: unknown[] } } | { type: 'decisions'; decisions?: { model?: string; questions?: unknown[] } };

/** The Responses request body a Responses delegation's settings make. */
const backendBody = (b: Backend): Body => {
  const r = b.type === 'responses' ? b.responses : undefined;
  return { model: r?.model ?? 'gpt-5-mini', instructions: r?.instructions, ...(r?.tools ? { tools: r.tools } : {}) };
};

const BYTES_PER_MS = (24000 * 2) / 1000;
const AUDIO_CHUNK_MS = 100;
const USER_WORDS = ['What', 'is', 'the', 'weather', 'in', 'Paris', 'today?'];

/** A started session: its state and its connections (the primary first, then any sidebands). */
interface LiveSessionState {
  resource: SessionResource;
  audioMs: number;
  heard: string[];
  /** Items the app added to the Responses backend (`response.item.create`), for the next response. */
  items: Body[];
  /** A delegated response that called functions, waiting for their results. */
  waiting?: { delegation: string; response: string };
  /** Client delegations the app has not answered yet. */
  clientDelegations: Set<string>;
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
    state = { resource, audioMs: 0, heard, items: [], clientDelegations: new Set(), sockets: new Set([socket]) };
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
        if (update.triggers !== undefined) st.resource = { ...st.resource, triggers: update.triggers } as SessionResource;
        return send({ type: 'session.updated', event_id: eventId(), session: st.resource });
      }
      case 'session.input_audio.append': {
        if (attach) return error('invalid_event', 'Audio is appended on the primary connection.', client);
        const bytes = Buffer.byteLength(typeof event?.audio === 'string' ? event.audio : '', 'base64');
        st.audioMs += bytes / BYTES_PER_MS;
        const word = USER_WORDS[st.heard.length % USER_WORDS.length]!;
        st.heard.push(word);
        const id = eventId();
        await send({ type: 'session.input_transcript.delta', event_id: id, delta: `${st.heard.length > 1 ? ' ' : ''}${word}`, start_ms: 0, end_ms: Math.round(st.audioMs) });
        await fireTriggers(st, 'session.input_transcript.delta', id);
        // The line heard out: the Live model delegates it, unless the Responses backend answers on response.create.
        if (word.endsWith('?')) return delegateLine(st);
        return;
      }
      case 'response.item.create': {
        if (backendOf(st)?.type !== 'responses') return error('delegation_required', 'response.item.create requires a Responses delegation.', client);
        const item = event?.item;
        if (typeof item !== 'object' || item === null || Array.isArray(item)) return error('invalid_value', 'item must be an object.', client);
        st.items.push(item as Body);
        return;
      }
      case 'response.create':
        return st.waiting && st.items.length ? resume(st, st.waiting, client) : delegate(st, client);
      case 'decision.create': {
        const backend = backendOf(st);
        if (backend?.type !== 'decisions') return error('delegation_required', 'decision.create requires a Decisions delegation.', client);
        if (!client) return error('missing_required_parameter', 'event_id is required.', client);
        return send(decisionEvent(backend.decisions, { delegation_id: null, source_event_id: null, source_event_type: null, trigger_id: null }, st));
      }
      case 'session.commentary.append':
      case 'session.thinking.append':
      case 'session.instructions.append':
        return appended(st, event!, client);
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

  /** The session's delegation settings (omitted or null: the app's, `client`). */
  const backendOf = (st: LiveSessionState) => (st.resource.delegation ?? { type: 'client' }) as Backend;

  /** The scripted delegation turn: the Responses backend's stream, then the spoken answer. */
  const delegate = async (st: LiveSessionState, client: string | undefined): Promise<void> => {
    const delegation = backendOf(st);
    if (delegation.type !== 'responses') return error('delegation_required', 'response.create requires a Responses delegation.', client);
    const question = st.heard.join(' ') || 'Hello';
    // A new task: a response still waiting for function results is left behind.
    st.waiting = undefined;
    const input = [{ role: 'user', content: question }, ...st.items.splice(0)];
    const m = createResponse(deps.ctx, deps.engine, { ...backendBody(delegation), input, stream: true });
    const id = deps.ids.hexId('deleg_').slice(0, 28);
    const created: DelegationCreatedEvent = {
      type: 'session.delegation.created',
      event_id: eventId(),
      offset_ms: Math.round(st.audioMs),
      delegation: { id, type: 'delegation', target: 'responses', response_id: m.response.id as string },
    };
    await send(created);
    return backendTurn(st, id, m, question);
  };

  /** A waiting response's function results are in: the backend continues it, under the same delegation. */
  const resume = async (st: LiveSessionState, waiting: { delegation: string; response: string }, client: string | undefined): Promise<void> => {
    let m: ReturnType<typeof createResponse>;
    try {
      m = createResponse(deps.ctx, deps.engine, { ...backendBody(backendOf(st)), previous_response_id: waiting.response, input: st.items.splice(0), stream: true });
    } catch (e) {
      if (e instanceof ApiError) {
        const { code, message } = e.body().error;
        return error(code ?? 'invalid_request', message, client);
      }
      throw e;
    }
    st.waiting = undefined;
    return backendTurn(st, waiting.delegation, m, st.heard.join(' ') || 'Hello');
  };

  /** One backend response streamed as the delegation's `response.event`s; spoken unless it waits for function results. */
  const backendTurn = async (st: LiveSessionState, id: string, m: ReturnType<typeof createResponse>, question: string): Promise<void> => {
    await streamOverSocket(m, socket, (nested) => send({ type: 'response.event', event_id: eventId(), delegation_id: id, event: nested as Body }), deps.fault());
    if (socket.closed) return;
    const output = (m.response.output ?? []) as { type?: string }[];
    if (m.response.status === 'completed' && output.some((o) => o.type === 'function_call')) {
      st.waiting = { delegation: id, response: m.response.id as string };
      return;
    }
    return speak(st, answerText(deps.seed, question));
  };

  /** The Live model says `text`: transcript and audio deltas (100 ms of silence each), then the session's audio time. */
  const speak = async (st: LiveSessionState, text: string): Promise<void> => {
    for (const delta of tokenPieces(text)) {
      await socket.pause();
      const id = eventId();
      await send({ type: 'session.output_transcript.delta', event_id: id, delta, start_ms: Math.round(st.audioMs), end_ms: Math.round(st.audioMs) });
      st.audioMs += AUDIO_CHUNK_MS;
      await send({ type: 'session.output_audio.delta', delta: Buffer.alloc(AUDIO_CHUNK_MS * BYTES_PER_MS).toString('base64') });
      await fireTriggers(st, 'session.output_transcript.delta', id);
    }
    await send({ type: 'session.usage.updated', event_id: eventId(), usage: usage(), context_window: { usage_ratio: 0.01 } });
  };

  /** The user's line heard out, delegated to the app or to Decisions (a Responses backend waits for response.create). */
  const delegateLine = async (st: LiveSessionState): Promise<void> => {
    const backend = backendOf(st);
    if (backend.type !== 'client' && backend.type !== 'decisions') return;
    const id = deps.ids.hexId('deleg_').slice(0, 28);
    await send({ type: 'session.delegation.created', event_id: eventId(), offset_ms: Math.round(st.audioMs), delegation: { id, type: 'delegation', target: backend.type } });
    if (backend.type === 'client') {
      st.clientDelegations.add(id);
      return;
    }
    await send(decisionEvent(backend.decisions, { delegation_id: id, source_event_id: null, source_event_type: null, trigger_id: null }, st));
    return speak(st, 'Yes.');
  };

  /** A `decision.completed` for `config`'s questions about the words heard so far. */
  const decisionEvent = (config: { model?: string; questions?: unknown[] } | undefined, about: Omit<DecisionEvent, 'event' | 'event_id' | 'type'>, st: LiveSessionState): DecisionEvent => {
    const decision = decide(deps.seed, config?.model ?? 'gpt-6-luna', (config?.questions ?? []) as DecisionQuestion[], st.heard.join(' '));
    return { type: 'decision.event', event_id: eventId(), ...about, event: { type: 'decision.completed', decision } };
  };

  /** Each trigger watching `type` fires on the delta `source`. */
  const fireTriggers = async (st: LiveSessionState, type: DecisionTrigger['event_type'], source: string): Promise<void> => {
    const backend = backendOf(st);
    const model = backend.type === 'decisions' ? backend.decisions?.model : undefined;
    for (const trigger of (st.resource.triggers ?? []) as DecisionTrigger[]) {
      if (trigger.event_type !== type) continue;
      const about = { delegation_id: null, source_event_id: source, source_event_type: type, trigger_id: deps.ids.hexId('trig_').slice(0, 26) };
      await send(decisionEvent({ model, questions: trigger.decisions.questions }, about, st));
    }
  };

  /** Context the app appends (for the session, or an open client delegation): acknowledged; commentary for a delegation is its result, spoken. */
  const appended = async (st: LiveSessionState, event: Body, client: string | undefined): Promise<void> => {
    const delegation = typeof event.delegation_id === 'string' ? event.delegation_id : null;
    if (typeof event.content !== 'string') return error('invalid_type', 'content must be a string.', client);
    if (delegation !== null && backendOf(st).type === 'responses') return error('invalid_parameter', 'A delegation_id is not accepted with Responses delegation.', client);
    if (delegation !== null && !st.clientDelegations.has(delegation)) return error('delegation_not_found', `No open client delegation with id '${delegation}'.`, client);
    const type = `${String(event.type).replace(/\.append$/, '')}.appended` as 'session.commentary.appended' | 'session.thinking.appended' | 'session.instructions.appended';
    const at = Math.round(st.audioMs);
    await send({ type, event_id: eventId(), start_ms: at, end_ms: at, ...(client ? { client_event_id: client } : {}) });
    if (event.type !== 'session.commentary.append' || delegation === null) return;
    st.clientDelegations.delete(delegation);
    return speak(st, event.content);
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

  socket.onEvent((body) => {
    tail = tail.then(() => answer(body)).catch(() => undefined);
  });
}
