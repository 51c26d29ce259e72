import { context, trace, type DiagLogger, type Span } from '@opentelemetry/api';
import { VoiceAgents } from '../agents/voice-agents';
import { obj, type Obj } from '../util/json';
import { guarded, type Wrapping } from './socket-tap';
import type { RealtimeHandlers } from './realtime-socket';

/*
 * Voice agents (`@openai/agents-realtime`): its transports open their own `ws` socket (never openai's
 * `OpenAIRealtimeWS`), so the Realtime hook (realtime-socket.ts) does not see them; this is a second source
 * into the same Realtime sessions (realtime/realtime-sessions.ts), keyed by the connection's socket, plus
 * the agent layer (agents/voice-agents.ts). Observed on the package's exported classes (CJS and ESM
 * builds each have their own), nothing awaited, each report guarded:
 * - `OpenAIRealtimeBase.prototype.emit`: `'*'` carries every server event the SDK parsed (its clone, before
 *   any listener, WebSocket and SIP alike) — no second parse, which wrapping `_onMessage` (it gets the raw
 *   message) would need; `connection_change` `'connecting'` is when the transport's socket exists
 *   (`connectionState.websocket`): its session starts, its `send` is wrapped on the instance (the only
 *   complete view of client events: `response.create` / `.cancel` bypass `sendEvent`) and a `close`
 *   listener gets the close code; `'disconnected'` ends the session (the app's close ends it `closed`).
 * - `OpenAIRealtimeWebSocket.prototype.close`: the app (or its RealtimeSession) closes the connection.
 * - `RealtimeSession.prototype.connect`: the session's agent layer, registered for its transport; and
 *   `RealtimeSession.prototype.emit`: its agent, tool, handoff, guardrail and error events, before the app's
 *   listeners (no listener is added: an `error` event without the app's listener still throws as it did).
 * - `RealtimeSession.prototype.approve` / `.reject`: the app's decision on a tool call that asked for
 *   approval (a function tool's or a hosted MCP server's), as it calls them (what they return is the SDK's).
 * - `RealtimeAgent.prototype.emit`: a function tool's run in its `execute_tool` span (toolInSpan below).
 * WebRTC transports have no socket here: not traced (debug message).
 *
 * A tool's own work (its openai calls, the app's spans) runs with its `execute_tool` span active. The SDK
 * runs the tool in private methods (`#handleFunctionToolCall` / `#executeFunctionToolCall`), out of reach;
 * what every supported version (0.1 … 0.20) does is, synchronously: the session's `agent_tool_start` (the
 * span starts), the agent's `agent_tool_start`, then `tool.invoke(…)` (0.20 through `invokeFunctionTool`,
 * which calls it before any await). So once the agent's listeners have run, the tool's `invoke` is shadowed
 * by a one-shot wrapper that puts the original back and calls it in the span's context: no app code runs
 * while the shadow is in place (the app's listeners ran before it, its tool runs after it is gone), and a
 * path that calls no `invoke` (a rejected approval, an input guardrail's reject) drops it at the next
 * microtask, before anything else can see it. Nothing is awaited or added to the event path, and the
 * tool's result or error is the original's as is. The SDK keys some tables by the `invoke` function
 * (0.20's input parsers, MCP tool bindings): none is read in that step (check when a version changes it). The alternative, running the transport's
 * `function_call` event in a context, would put the whole call chain (approval checks, guardrails, the
 * output and the next response.create the SDK sends) in it, before the tool's span exists.
 */

interface TransportLike {
  connectionState?: { websocket?: unknown };
}

interface SocketLike {
  url?: unknown;
  send?: unknown;
  addEventListener?: (event: string, listener: (ev: unknown) => void) => void;
}

type Method = (this: object, ...args: unknown[]) => unknown;

/** The agent layer of each SDK session, and of each transport a session connects through. */
const voices = new WeakMap<object, VoiceAgents>();
const byTransport = new WeakMap<object, VoiceAgents>();
/** Each transport's current socket (its state drops it before `disconnected` is emitted). */
const sockets = new WeakMap<object, SocketLike>();

/** A tool call whose `execute_tool` span started (the session's agent_tool_start), until its agent's agent_tool_start. */
const starting = new WeakMap<object, Span>();

/** `{"type":"input_audio_buffer.append"` — audio frames are counted from the text, never parsed. */
const APPEND = '{"type":"input_audio_buffer.append"';
const AUDIO = '"audio":"';

function protoOf(mod: Obj | undefined, name: string): Record<string, unknown> | undefined {
  const cls = mod?.[name];
  return typeof cls === 'function' ? obj((cls as { prototype?: unknown }).prototype) : undefined;
}

/** Patches an `@openai/agents-realtime` build (its index module; each build once). */
export function patchAgentsRealtime(moduleExports: unknown, version: string | undefined, w: Wrapping, handlers: RealtimeHandlers, diag: DiagLogger): void {
  const mod = obj(moduleExports);
  const base = protoOf(mod, 'OpenAIRealtimeBase');
  const socketTransport = protoOf(mod, 'OpenAIRealtimeWebSocket');
  const session = protoOf(mod, 'RealtimeSession');
  const agent = protoOf(mod, 'RealtimeAgent');
  if (typeof base?.emit !== 'function' || typeof socketTransport?.close !== 'function' || typeof session?.connect !== 'function' || typeof session.emit !== 'function') {
    diag.warn(`@openai/agents-realtime ${version ?? '(unknown version)'}: not the expected transport and session classes; voice sessions are not traced`);
    return;
  }
  if (w.isWrapped(base.emit)) return;
  const guard = guarded(handlers);

  w.wrap(
    base,
    'emit',
    (original: Method) =>
      function emit(this: TransportLike, type: unknown, ...args: unknown[]) {
        if (type === '*' || type === 'connection_change') guard(() => transportEvent(this, type, args[0], handlers, w, diag));
        return original.call(this, type, ...args);
      },
  );
  w.wrap(
    socketTransport,
    'close',
    (original: Method) =>
      function close(this: TransportLike, ...args: unknown[]) {
        guard(() => {
          const socket = sockets.get(this);
          if (socket) handlers.sessions()?.closing(socket);
        });
        return original.apply(this, args);
      },
  );
  w.wrap(
    session,
    'connect',
    (original: Method) =>
      function connect(this: { transport?: unknown; currentAgent?: unknown }, ...args: unknown[]) {
        guard(() => {
          const voice = voices.get(this) ?? layerOf(this);
          if (this.transport && typeof this.transport === 'object') byTransport.set(this.transport, voice);
        });
        return original.apply(this, args);
      },
  );
  w.wrap(
    session,
    'emit',
    (original: Method) =>
      function emit(this: object, type: unknown, ...args: unknown[]) {
        const voice = voices.get(this);
        if (voice && typeof type === 'string')
          guard(() => {
            voice.event(type, args);
            if (type === 'agent_tool_start') toolStarting(voice, args[3]);
          });
        return original.call(this, type, ...args);
      },
  );
  // The app's decision on an approval item, as it calls for it (the SDK acts on it inside the call).
  for (const [method, decision] of [
    ['approve', 'approved'],
    ['reject', 'rejected'],
  ] as const)
    if (typeof session[method] === 'function')
      w.wrap(
        session,
        method,
        (original: Method) =>
          function decide(this: object, ...args: unknown[]) {
            const voice = voices.get(this);
            if (voice) guard(() => voice.decided(args[0], decision, args[1]));
            return original.apply(this, args);
          },
      );
  if (typeof agent?.emit === 'function')
    w.wrap(
      agent,
      'emit',
      (original: Method) =>
        function emit(this: object, type: unknown, ...args: unknown[]) {
          const result = original.call(this, type, ...args);
          if (type === 'agent_tool_start') guard(() => toolInSpan(args[1], args[2]));
          return result;
        },
    );
  else diag.warn(`@openai/agents-realtime ${version ?? '(unknown version)'}: no RealtimeAgent.emit; a voice tool's own calls are not nested under its span`);
}

/** The session's agent_tool_start made the call's span: the tool runs in it (its agent's event comes next). */
function toolStarting(voice: VoiceAgents, details: unknown): void {
  const call = obj(obj(details)?.toolCall);
  const id = call?.callId;
  const span = typeof id === 'string' ? voice.toolSpan(id) : undefined;
  if (call && span) starting.set(call, span);
}

type Invoke = (this: unknown, ...args: unknown[]) => unknown;

/**
 * The agent's agent_tool_start, after its listeners: the SDK calls `tool.invoke` next, synchronously. A
 * one-shot shadow runs that call in the span's context (see the header); only an own, writable `invoke`
 * is shadowed (a frozen tool's calls stay where they were).
 */
function toolInSpan(tool: unknown, details: unknown): void {
  const call = obj(obj(details)?.toolCall);
  const span = call && starting.get(call);
  if (!span || !tool || typeof tool !== 'object') return;
  starting.delete(call);
  const target = tool as { invoke?: unknown };
  const own = Object.getOwnPropertyDescriptor(target, 'invoke');
  if (!own?.writable || typeof own.value !== 'function') return;
  const original = own.value as Invoke;
  const restore = (): void => {
    if (target.invoke === shadow) target.invoke = original;
  };
  const shadow: Invoke = function invoke(this: unknown, ...args: unknown[]) {
    restore();
    return context.with(trace.setSpan(context.active(), span), original, this, ...args);
  };
  target.invoke = shadow;
  queueMicrotask(restore);
}

/** A new SDK session's agent layer. */
function layerOf(sdk: { currentAgent?: unknown }): VoiceAgents {
  const voice = new VoiceAgents(() => sdk.currentAgent);
  voices.set(sdk, voice);
  return voice;
}

export function unpatchAgentsRealtime(moduleExports: unknown, w: Wrapping): void {
  const mod = obj(moduleExports);
  for (const [cls, method] of [
    ['OpenAIRealtimeBase', 'emit'],
    ['OpenAIRealtimeWebSocket', 'close'],
    ['RealtimeSession', 'connect'],
    ['RealtimeSession', 'emit'],
    ['RealtimeSession', 'approve'],
    ['RealtimeSession', 'reject'],
    ['RealtimeAgent', 'emit'],
  ] as const) {
    const proto = protoOf(mod, cls);
    if (proto && w.isWrapped(proto[method])) w.unwrap(proto, method);
  }
}

function transportEvent(transport: TransportLike, type: string, arg: unknown, handlers: RealtimeHandlers, w: Wrapping, diag: DiagLogger): void {
  if (type === '*') {
    const socket = sockets.get(transport);
    const event = obj(arg);
    if (socket && event) handlers.sessions()?.received(socket, event);
    return;
  }
  if (arg === 'connecting') return connecting(transport, handlers, w, diag);
  if (arg === 'disconnected') {
    const socket = sockets.get(transport);
    sockets.delete(transport);
    if (socket) handlers.sessions()?.closed(socket, undefined);
  }
}

/** The transport opened a socket: its session starts, its sends and its close are watched. */
function connecting(transport: TransportLike, handlers: RealtimeHandlers, w: Wrapping, diag: DiagLogger): void {
  const socket = transport.connectionState?.websocket as SocketLike | undefined;
  if (!socket || typeof socket !== 'object') {
    diag.debug('spanlens: a voice transport without a WebSocket (WebRTC): not traced');
    return;
  }
  const sessions = handlers.sessions();
  if (!sessions || sessions.of(socket)) return;
  const owner = byTransport.get(transport);
  const url = typeof socket.url === 'string' ? socket.url : undefined;
  if (!sessions.observe(socket, { url, ambient: context.active(), owner })) return;
  handlers.seen();
  sockets.set(transport, socket);
  const session = sessions.of(socket);
  if (owner && session) owner.connected(session, sessions.env);
  const guard = guarded(handlers);
  if (typeof socket.send === 'function' && !w.isWrapped(socket.send)) {
    w.wrap(
      socket,
      'send',
      (original: Method) =>
        function send(this: object, ...args: unknown[]) {
          const ambient = context.active();
          const result = original.apply(this, args);
          guard(() => {
            const event = clientEvent(args[0]);
            if (event) handlers.sessions()?.sent(socket, event, ambient);
            else diag.debug('spanlens: a voice transport sent a frame that is not a JSON event');
          });
          return result;
        },
    );
  } else diag.warn('spanlens: a voice transport socket without send(): its client events are not traced');
  if (typeof socket.addEventListener === 'function')
    socket.addEventListener('close', (ev) =>
      guard(() => {
        const code = obj(ev)?.code;
        handlers.sessions()?.closed(socket, typeof code === 'number' ? code : undefined);
      }),
    );
}

/** A sent frame as a client event; an audio append's audio is a slice of the text (counted, not decoded). */
function clientEvent(data: unknown): Obj | undefined {
  if (typeof data !== 'string') return undefined;
  if (data.startsWith(APPEND)) {
    const start = data.indexOf(AUDIO);
    const end = start < 0 ? -1 : data.indexOf('"', start + AUDIO.length);
    return { type: 'input_audio_buffer.append', audio: end < 0 ? '' : data.slice(start + AUDIO.length, end) };
  }
  try {
    return obj(JSON.parse(data));
  } catch {
    return undefined;
  }
}
