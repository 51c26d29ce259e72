import { assistantRoutes } from './assistants/routes-assistants';
import { fileRoutes } from './assistants/routes-files';
import { runRoutes } from './assistants/routes-runs';
import { threadRoutes } from './assistants/routes-threads';
import { RunEngine } from './assistants/run-engine';
import { chatRoutes } from './chat/routes-chat';
import { embeddingRoutes } from './chat/routes-embeddings';
import { decisionRoutes } from './chat/routes-decisions';
import { Entities } from './engine/entities';
import { IdFactory } from './engine/ids';
import { Store } from './engine/store';
import { serve } from './http/server';
import type { Route } from './http/router';
import type { Emulator, EmulatorOptions } from './options';
import type { ResponseContext } from './responses/context';
import { ResponseEngine } from './responses/response-engine';
import { responseRoutes } from './responses/routes-responses';
import { serveResponsesSocket } from './responses/socket';
import { serveRealtimeSocket } from './realtime/realtime-socket';
import { liveSessions, serveLiveSocket, type LiveJoin } from './live/live-socket';
import type { SocketRoute } from './http/sockets';

// One emulator: the state every API shares (ids, entities), each API's engine and routes, and the
// HTTP server that answers with them.

export function startServer(options: EmulatorOptions = {}): Promise<Emulator> {
  const seed = options.seed ?? 1;
  const pollsPerStatus = options.pollsPerStatus ?? 1;
  const ids = new IdFactory(seed);
  const store = new Store(ids);
  const entities = new Entities(store);
  const engine = new RunEngine({ store, entities, seed, pollsPerStatus });
  const responses = new ResponseEngine();
  const responseContext: ResponseContext = { store, entities, ids, seed, pollsPerStatus };
  /** Hashes of the chat message lists' prefixes seen so far → their prompt tokens (prompt caching). */
  const chatPrefixes = new Map<string, number>();
  /** Started Live sessions (and closed stored ones), by id (what a sideband attaches to, a fork starts from). */
  const live = liveSessions();
  const deps = { store, entities, engine };
  // createAndRun (POST /threads/runs) is among the run routes, so they go before the thread routes.
  const routes: Route[] = [
    ...assistantRoutes(deps),
    ...runRoutes(deps),
    ...threadRoutes(deps),
    ...fileRoutes(deps),
    ...responseRoutes(responseContext, responses),
    ...chatRoutes(ids, seed, chatPrefixes),
    ...embeddingRoutes(seed),
    ...decisionRoutes(seed),
  ];
  // Responses over WebSocket: the same engine as POST /responses.
  const sockets: SocketRoute[] = [
    { path: '/responses', open: (socket, { fault }) => serveResponsesSocket(responseContext, responses, socket, fault) },
    // The Realtime API: a session per connection, for the model the URL names; a sideband socket (`call_id`)
    // gets the default model, a transcription socket (`intent=transcription`) a transcription session.
    {
      path: '/realtime',
      open: (socket, { query, fault }) =>
        serveRealtimeSocket(socket, { model: typeof query.model === 'string' ? query.model : 'gpt-realtime', transcription: query.intent === 'transcription', ids, seed, fault }),
    },
    // The Live API: a session per connection (a sideband attaches to one); its Responses delegations stream
    // from the same Responses engine.
    { path: '/live/sessions', open: (socket, { fault }) => serveLiveSocket(socket, { sessions: live, ctx: responseContext, engine: responses, ids, seed, fault }) },
    // A sideband attaches to a started session; a fork starts a new session from a stored one.
    {
      path: /^\/live\/sessions\/[^/]+\/(attach|fork)$/,
      open: (socket, { path, fault }) => {
        const [, , , id, type] = path.split('/');
        serveLiveSocket(socket, { sessions: live, ctx: responseContext, engine: responses, ids, seed, fault }, { type: type as LiveJoin['type'], sessionId: decodeURIComponent(id!) });
      },
    },
  ];
  const clearState = (): void => {
    live.clear();
    store.clear();
    engine.clear();
    responses.clear();
    chatPrefixes.clear();
  };
  return serve({ options, ids, seed, routes, sockets, clearState });
}
