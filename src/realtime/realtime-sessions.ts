import type { Context } from '@opentelemetry/api';
import type { Services } from '../services';
import { PendingToolCalls } from '../responses/tool-outputs';
import { BoundedMap, evictionWarning } from '../util/bounded-map';
import type { Obj } from '../util/json';
import type { TraceKey } from '../trace/trace-ids';
import { now } from '../util/clock';
import { RealtimeSession, type SessionStart } from './realtime-session';

/** What the sessions table needs of one socket's session (a Realtime session, a Live session). */
export interface SocketSession {
  /** The session's trace, for the connections that reconnect it. */
  readonly key: TraceKey;
  /** Which connection of the session this is (1: the first). */
  readonly connection: number;
  sent(event: Obj, at: number, ambient: Context): void;
  received(event: Obj, at: number): void;
  closed(code: number | undefined, byApp: boolean): void;
  end(reason: string): void;
}

/** What starting a session is told (each kind of session may want more). */
export interface SocketSessionStart {
  ambient: Context;
  /** The trace of the session this connection reconnects (the SDK's automatic recovery), with its count. */
  reconnects?: { key: TraceKey; connection: number };
}

/**
 * The open sessions of the process of one socket protocol, by socket: at most `maxEntities` (the oldest
 * is ended `evicted` past it), all ended at shutdown or `disable()`. A session's state is dropped when it
 * ends. The app's function calls wait for their outputs in one bounded table shared by every session.
 */
export class SocketSessions<S extends SocketSession, Start extends SocketSessionStart = SessionStart> {
  private readonly open: BoundedMap<object, S>;
  private readonly tools: PendingToolCalls;
  /** Sockets whose session ended for good (closed, or ended at shutdown): no new session starts on them. */
  private readonly done = new WeakSet<object>();
  /** Sockets the app is closing: their close is the app's. */
  private readonly closingByApp = new WeakSet<object>();
  /** Sockets reconnecting (the SDK's recovery): the session their next connection continues. */
  private readonly reconnecting = new WeakMap<object, { key: TraceKey; connection: number }>();

  constructor(
    env: Services,
    private readonly make: (tools: PendingToolCalls, start: Start) => S,
    what: string,
  ) {
    const evicted = evictionWarning((m) => env.diag.warn(m), what, env.maxEntities);
    this.open = new BoundedMap(env.maxEntities, (_socket, session) => {
      evicted();
      session.end('evicted');
    });
    this.tools = new PendingToolCalls(env);
  }

  /** A socket opened: its session span starts now. */
  opened(socket: object, start: Start): S {
    const session = this.make(this.tools, start);
    this.open.set(socket, session);
    return session;
  }

  /**
   * The socket's session, started now if it has none yet (a socket is seen first at its first event);
   * true when this call started it. A socket whose session ended for good gets no new one.
   */
  observe(socket: object, start: Start): boolean {
    if (this.open.peek(socket) || this.done.has(socket)) return false;
    const previous = this.reconnecting.get(socket);
    this.reconnecting.delete(socket);
    this.opened(socket, previous ? { ...start, reconnects: previous } : start);
    return true;
  }

  /** The app called the socket's close(). */
  closing(socket: object): void {
    this.closingByApp.add(socket);
  }

  /** The socket's open session, if it is traced. */
  of(socket: object): S | undefined {
    return this.open.peek(socket);
  }

  sent(socket: object, event: Obj, ambient: Context): void {
    this.open.peek(socket)?.sent(event, now(), ambient);
  }

  received(socket: object, event: Obj): void {
    this.open.peek(socket)?.received(event, now());
  }

  /**
   * The socket's connection closed (`byApp`: the app closed it, also when it called close() before);
   * `reconnecting`: the SDK opens a new connection, a new session starts at its first event.
   */
  closed(socket: object, code: number | undefined, byApp = false, reconnecting = false): void {
    if (!reconnecting) this.done.add(socket);
    const session = this.open.peek(socket);
    if (!session) return;
    this.open.delete(socket);
    if (reconnecting) this.reconnecting.set(socket, { key: session.key, connection: session.connection + 1 });
    session.closed(code, byApp || this.closingByApp.has(socket));
  }

  /** Ends every open session (shutdown, disable, reconfiguration). */
  endAll(reason: string): void {
    for (const [socket, session] of [...this.open.entries()]) {
      this.open.delete(socket);
      this.done.add(socket);
      session.end(reason);
    }
  }
}

/** The Realtime API's sessions. */
export class RealtimeSessions extends SocketSessions<RealtimeSession> {
  /** `env`: also a voice session's agent layer's (hook/agents-realtime.ts). */
  constructor(readonly env: Services) {
    super(env, (tools, start) => new RealtimeSession(env, tools, start), 'open Realtime sessions');
  }
}
