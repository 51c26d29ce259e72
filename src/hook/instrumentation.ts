import { existsSync } from 'node:fs';
import path from 'node:path';
import { context, diag, trace, type TracerProvider } from '@opentelemetry/api';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, isWrapped, type InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import type { OpenAIInstrumentationConfig } from '../config';
import { ContentPolicy } from '../trace/content';
import { CostModel } from '../cost/cost-model';
import { createMetrics, type Metrics } from '../cost/metrics';
import type { ClientLike } from '../calls/observed-call';
import { observeRequest, type CallHandlers } from './request-observer';
import { endOpenStreams, openStream } from '../streams/stream-tap';
import { watchParse } from '../streams/sdk-parse';
import { patchResponsesSocket, unpatchResponsesSocket, type SocketHandlers } from './responses-socket';
import type { Wrapping } from './socket-tap';
import { patchAgentsSocket, unpatchAgentsSocket } from './agents-socket';
import type { Services } from '../services';
import { isTracingSuppressed } from '../trace/suppress';
import { CallDispatcher } from './dispatch';
import { watchProviderFlush } from './provider-flush';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version';
import { AgentsBridge } from '../agents/bridge';
import { patchRunner } from '../agents/runner';
import { patchRealtimeSocket, unpatchRealtimeSocket, type RealtimeHandlers } from './realtime-socket';
import { patchAgentsRealtime, unpatchAgentsRealtime } from './agents-realtime';
import { patchLiveSocket, unpatchLiveSocket, type LiveHandlers } from './live-socket';

/** The Realtime socket modules: `realtime/*` (openai 5–7) and `beta/realtime/*` (4–7), each on `ws` or the runtime's WebSocket. */
const REALTIME_MODULES = ['openai/realtime/ws', 'openai/realtime/websocket', 'openai/beta/realtime/ws', 'openai/beta/realtime/websocket'];

/** `@openai/agents-core` versions the Agents SDK bridge supports (the global trace provider: 0.3.8+). */
export const SUPPORTED_AGENTS_RANGE = '>=0.3.8 <1';

/**
 * `@openai/agents-realtime` versions whose classes voice sessions are observed on (agents-realtime.ts):
 * 0.1.0, 0.3.8, 0.11.0 and 0.20.0 were read to have the same layout (exported `OpenAIRealtimeBase` emitting
 * `'*'` and `connection_change`, `connectionState.websocket`, `RealtimeSession` an event emitter emitting
 * the agent events); 0.20.0 is the one tested.
 */
export const SUPPORTED_AGENTS_REALTIME_RANGE = '>=0.1.0 <1';

/** openai majors whose request layer this package knows (4: APIClient in core; 5–7: OpenAI in client). */
export const SUPPORTED_MAJORS = [4, 5, 6, 7];

/** The `openai` module the app loaded (as the hooks saw it), so the drop-in builds the app's client. */
export let loadedOpenAI: { exports: unknown; version?: string } | undefined;

type MakeRequest = (this: ClientLike, options: unknown, retriesRemaining?: number | null, ...rest: unknown[]) => Promise<unknown>;
type Request = (this: ClientLike, ...args: unknown[]) => unknown;
interface RequestOwner {
  makeRequest: MakeRequest;
  request?: Request;
}

/** Instruments the `openai` package at its request layer: every endpoint, no per-call wiring. */
export class OpenAIInstrumentation extends InstrumentationBase<OpenAIInstrumentationConfig> {
  private dispatcher!: CallDispatcher;
  private pending!: Set<Promise<unknown>>;
  // `declare`: set by _updateMetricInstruments, which the base constructor already calls.
  declare private instruments: Metrics | undefined;
  /** The provider given to us (else the global one), and whether its flushes already finish our work first. */
  private provider?: TracerProvider;
  private providerWatched = false;
  /** The Agents SDK bridge; kept across reconfigurations (the SDK's provider holds it). */
  declare private agents: AgentsBridge | undefined;

  constructor(config: OpenAIInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
    this.reset();
  }

  override setConfig(config: OpenAIInstrumentationConfig = {}): void {
    super.setConfig(config);
    if (this.dispatcher) this.reset();
  }

  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    this.provider = tracerProvider;
    this.providerWatched = false;
  }

  /**
   * Before the provider flushes (sdk.shutdown(), forceFlush()): background work finishes, and at shutdown
   * what is still open ends marked `shutdown`, so a standard shutdown loses no finished work. Checked at
   * calls until an SDK provider is there (NodeSDK registers it after the instrumentations).
   */
  private watchProvider(): void {
    this.providerWatched = watchProviderFlush(
      this.provider ?? trace.getTracerProvider(),
      async (final) => {
        if (final) {
          this.dispatcher?.endAll('shutdown');
          endOpenStreams(this);
        }
        await this.flush();
      },
      this._diag ?? diag,
    );
  }

  protected override _updateMetricInstruments(): void {
    this.instruments = createMetrics(this.meter);
  }

  /** Waits for background work (steps fetches) so every span of a finished run has been ended. */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  override enable(): void {
    super.enable();
    // An Agents SDK loaded before enable(): its provider is gated now (the module hook covers later loads).
    this.agents?.setActive(true);
    this.agents?.hookProvider(false);
  }

  override disable(): void {
    super.disable();
    this.agents?.setActive(false);
    // Runs never seen to finish end now, marked, so no started span is lost; so do open streams (a chat
    // stream's span; a run or response stream's call when no run or response was seen yet).
    this.dispatcher?.endAll('shutdown');
    endOpenStreams(this);
  }

  /** Patches an `openai` module object loaded before the instrumentation was enabled. */
  patchModule<T>(moduleExports: T, moduleVersion?: string): T {
    return this.patch(moduleExports, moduleVersion);
  }

  protected init(): InstrumentationModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'openai',
        ['*'],
        (moduleExports, moduleVersion) => this.patch(moduleExports, moduleVersion),
        (moduleExports) => this.unpatch(moduleExports),
        [
          // Responses over WebSocket: the socket class's base, in the builds that have it (openai 6.x, 7).
          ...['js', 'mjs'].map(
            (ext) =>
              new InstrumentationNodeModuleFile(
                `openai/resources/responses/ws-base.${ext}`,
                ['*'],
                (moduleExports: unknown, moduleVersion?: string) => {
                  patchResponsesSocket(moduleExports, moduleVersion, this.wrapping, this.socketHandlers, this._diag);
                  return moduleExports;
                },
                (moduleExports: unknown) => unpatchResponsesSocket(moduleExports, this.wrapping),
              ),
          ),
          // The Live API's sockets (openai >= 7.14), primary, sideband and fork: their base classes, where `send` is defined.
          ...['live/ws-base', 'live/sideband/ws-base', 'live/forks/ws-base'].flatMap((base) =>
            ['js', 'mjs'].map(
              (ext) =>
                new InstrumentationNodeModuleFile(
                  `openai/resources/${base}.${ext}`,
                  ['*'],
                  (m: unknown, v?: string) => this.patchLive(m, v),
                  (m: unknown) => this.unpatchLive(m),
                ),
            ),
          ),
          // Realtime sockets, in CommonJS and in fully hooked ES modules.
          ...REALTIME_MODULES.flatMap((name) =>
            ['js', 'mjs'].map(
              (ext) =>
                new InstrumentationNodeModuleFile(
                  `${name}.${ext}`,
                  ['*'],
                  (m: unknown, v?: string) => this.patchRealtime(m, v),
                  (m: unknown) => this.unpatchRealtime(m),
                ),
            ),
          ),
        ],
      ),
      // Realtime sockets under an ES module loader that wraps only the modules named here: the public subpaths.
      ...REALTIME_MODULES.map(
        (name) =>
          new InstrumentationNodeModuleDefinition(
            name,
            ['*'],
            (m: unknown, v?: string) => this.patchRealtime(m, v),
            (m: unknown) => this.unpatchRealtime(m),
          ),
      ),
      // Responses over WebSocket under an ESM loader that wraps only modules asked for by name: the public
      // subpath an app imports `ResponsesWS` from (the module files above cover CommonJS and full ESM hooking).
      new InstrumentationNodeModuleDefinition('openai/resources/responses/ws', ['*'], (moduleExports: unknown, moduleVersion?: string) => {
        patchResponsesSocket(moduleExports, moduleVersion, this.wrapping, this.socketHandlers, this._diag);
        return moduleExports;
      }),
      // The Live API's sockets under an ESM loader that wraps only modules asked for by name: their public subpaths.
      ...['openai/resources/live/ws', 'openai/resources/live/sideband/ws', 'openai/resources/live/forks/ws'].map(
        (name) =>
          new InstrumentationNodeModuleDefinition(
            name,
            ['*'],
            (m: unknown, v?: string) => this.patchLive(m, v),
            (m: unknown) => this.unpatchLive(m),
          ),
      ),
      // The Agents SDK: nothing in the module changes; its global trace provider gets the bridge.
      new InstrumentationNodeModuleDefinition('@openai/agents-core', [SUPPORTED_AGENTS_RANGE], (moduleExports) => {
        this.agents?.hookProvider(true);
        patchRunner(moduleExports, this.agents);
        return moduleExports;
      }),
      // The Agents SDK's own Responses WebSocket transport (useResponsesWebSocket), on its own socket class.
      new InstrumentationNodeModuleDefinition(
        '@openai/agents-openai',
        [SUPPORTED_AGENTS_RANGE],
        undefined,
        undefined,
        ['js', 'mjs'].map(
          (ext) =>
            new InstrumentationNodeModuleFile(
              `@openai/agents-openai/dist/responsesWebSocketConnection.${ext}`,
              [SUPPORTED_AGENTS_RANGE],
              (moduleExports: unknown, moduleVersion?: string) => {
                patchAgentsSocket(moduleExports, moduleVersion, this.wrapping, this.socketHandlers, this._diag);
                return moduleExports;
              },
              (moduleExports: unknown) => unpatchAgentsSocket(moduleExports, this.wrapping),
            ),
        ),
      ),
      // Voice agents: the Realtime sessions of @openai/agents-realtime's own sockets, with their agents.
      new InstrumentationNodeModuleDefinition(
        '@openai/agents-realtime',
        [SUPPORTED_AGENTS_REALTIME_RANGE],
        (moduleExports: unknown, moduleVersion?: string) => {
          patchAgentsRealtime(moduleExports, moduleVersion, this.wrapping, this.realtimeHandlers, this._diag);
          return moduleExports;
        },
        (moduleExports: unknown) => unpatchAgentsRealtime(moduleExports, this.wrapping),
      ),
      ...agentsSocketByPath().map(
        (file) =>
          new InstrumentationNodeModuleDefinition(file, ['*'], (moduleExports: unknown) => {
            patchAgentsSocket(moduleExports, undefined, this.wrapping, this.socketHandlers, this._diag);
            return moduleExports;
          }),
      ),
    ];
  }

  private readonly wrapping: Wrapping = {
    wrap: (target, name, wrapper) => this._wrap(target as Record<string, never>, name as never, wrapper as never),
    unwrap: (target, name) => this._unwrap(target as Record<string, never>, name as never),
    isWrapped: (fn) => isWrapped(fn),
  };

  /** A `response.create` sent on a socket: a streamed create call, its events fed as an HTTP stream's are. */
  private readonly socketHandlers: SocketHandlers = {
    begin: (call) => {
      if (!this.providerWatched) this.watchProvider();
      const sink = this.dispatcher.stream(call);
      return sink && openStream(sink, this, this.socketHandlers.internalError);
    },
    place: (call) => this.agents?.placeCall(call),
    internalError: (err) => this._diag.error('spanlens: internal error while observing a WebSocket', err),
  };

  /** A Realtime socket's events feed the current dispatcher's sessions. */
  private readonly realtimeHandlers: RealtimeHandlers = {
    sessions: () => (this.isEnabled() ? this.dispatcher?.realtime : undefined),
    seen: () => {
      if (!this.providerWatched) this.watchProvider();
    },
    internalError: (err) => this._diag.error('spanlens: internal error while observing a Realtime socket', err),
  };

  // Methods, not fields: init() runs in the base constructor, before fields are set (it calls them later).
  private patchRealtime<T>(moduleExports: T, moduleVersion?: string): T {
    patchRealtimeSocket(moduleExports, moduleVersion, this.wrapping, this.realtimeHandlers, this._diag);
    return moduleExports;
  }

  private unpatchRealtime(moduleExports: unknown): void {
    unpatchRealtimeSocket(moduleExports, this.wrapping);
  }

  /** A Live socket's events feed the current dispatcher's Live sessions. */
  private readonly liveHandlers: LiveHandlers = {
    sessions: () => (this.isEnabled() ? this.dispatcher?.live : undefined),
    seen: () => {
      if (!this.providerWatched) this.watchProvider();
    },
    internalError: (err) => this._diag.error('spanlens: internal error while observing a Live socket', err),
  };

  private patchLive<T>(moduleExports: T, moduleVersion?: string): T {
    patchLiveSocket(moduleExports, moduleVersion, this.wrapping, this.liveHandlers, this._diag);
    return moduleExports;
  }

  private unpatchLive(moduleExports: unknown): void {
    unpatchLiveSocket(moduleExports, this.wrapping);
  }

  private reset(): void {
    const config = this.getConfig();
    const content = new ContentPolicy(config);
    this.pending = new Set();
    const env: Services = {
      tracer: () => this.tracer,
      content,
      cost: new CostModel(this._diag ?? diag, config.pricing),
      metrics: () => this.instruments,
      diag: this._diag ?? diag,
      track: (work) => {
        const p = work.catch(() => undefined).finally(() => this.pending.delete(p));
        this.pending.add(p);
      },
      fetchRunSteps: config.fetchRunSteps !== false,
      messageDeltaSpans: config.messageDeltaSpans === true,
      threadCost: config.threadCost === 'api' ? 'api' : 'process',
      traceScope: config.traceScope === 'request' ? 'request' : 'conversation',
      agentsSdkExport: config.agentsSdkExport !== false,
      maxEntities: Math.max(16, config.maxTrackedEntities ?? 10_000),
      runTtlMs: Math.max(1000, config.runTtlMs ?? 3_600_000),
    };
    this.dispatcher?.endAll('reconfigured');
    this.dispatcher = new CallDispatcher(env);
    // An agent run continuing a response chain (previousResponseId) joins the chain's trace.
    const chains = (id: string) => this.dispatcher?.responses.placementOf(id);
    if (!this.agents) {
      this.agents = new AgentsBridge();
      this.agents.configure(env, chains);
      this.agents.setActive(this.isEnabled());
      if (this.isEnabled()) this.agents.hookProvider(false);
    } else this.agents.configure(env, chains);
  }

  private patch<T>(moduleExports: T, moduleVersion?: string): T {
    const major = moduleVersion ? Number.parseInt(moduleVersion, 10) : undefined;
    if (major !== undefined && !SUPPORTED_MAJORS.includes(major)) {
      this._diag.warn(`openai ${moduleVersion} is outside the supported range (>=4 <8); its calls are not traced`);
      return moduleExports;
    }
    const owner = requestOwner(moduleExports);
    if (!owner) {
      this._diag.warn(`openai ${moduleVersion ?? '(unknown version)'}: no client class with makeRequest found; calls are not traced`);
      return moduleExports;
    }
    loadedOpenAI = { exports: moduleExports, version: moduleVersion };
    if (isWrapped(owner.makeRequest)) return moduleExports; // this build (CJS or ESM) is patched already
    const handlers: CallHandlers = {
      done: (call) => {
        if (!this.providerWatched) this.watchProvider();
        this.dispatcher.handle(call);
      },
      stream: (call) => {
        if (!this.providerWatched) this.watchProvider();
        return this.dispatcher.stream(call);
      },
      internalError: (err) => this._diag.error('spanlens: internal error while observing a call', err),
      owner: this,
      place: (call) => this.agents?.placeCall(call),
    };
    this._wrap(
      owner,
      'makeRequest',
      (original: MakeRequest) =>
        function patchedMakeRequest(this: ClientLike, options: unknown, retriesRemaining?: number | null, ...rest: unknown[]) {
          // Retries re-enter makeRequest with a count: only the first attempt is a new call.
          if (retriesRemaining != null || isTracingSuppressed(context.active())) {
            return original.call(this, options, retriesRemaining, ...rest);
          }
          return observeRequest(this, options, () => original.call(this, options, retriesRemaining, ...rest), handlers);
        } as MakeRequest,
    );
    // `request` wraps makeRequest's promise in the APIPromise the app gets; its parser makes the Stream of a
    // streaming call, which is where stream events are observed (see stream-tap.ts).
    if (typeof owner.request === 'function') {
      this._wrap(
        owner as Required<RequestOwner>,
        'request',
        (original: Request) =>
          function patchedRequest(this: ClientLike, ...args: unknown[]) {
            const promise = original.apply(this, args);
            watchParse(promise, handlers.internalError);
            return promise;
          } as Request,
      );
    }
    return moduleExports;
  }

  private unpatch(moduleExports: unknown): void {
    const owner = requestOwner(moduleExports);
    if (owner && isWrapped(owner.makeRequest)) this._unwrap(owner, 'makeRequest');
    if (owner && isWrapped(owner.request)) this._unwrap(owner, 'request');
  }
}

/**
 * The Agents SDK's socket module (ESM build) by absolute path, as resolved from here (the app's copy). An
 * ES module loader that wraps only the modules instrumentations name (the register entry's) never wraps a
 * package's internal files by their package-relative name, but it does wrap one named by its path.
 */
function agentsSocketByPath(): string[] {
  try {
    const file = path.join(path.dirname(require.resolve('@openai/agents-openai')), 'responsesWebSocketConnection.mjs');
    return existsSync(file) ? [file] : [];
  } catch {
    return [];
  }
}

/** The prototype that defines makeRequest: APIClient in v4, OpenAI in v5+ (Azure/Bedrock clients inherit it). */
function requestOwner(moduleExports: unknown): RequestOwner | undefined {
  const mod = moduleExports as { OpenAI?: { prototype: object }; default?: { prototype: object } } | undefined;
  const cls = mod?.OpenAI ?? mod?.default;
  let proto: object | null = cls?.prototype ?? null;
  while (proto && proto !== Object.prototype) {
    if (Object.prototype.hasOwnProperty.call(proto, 'makeRequest')) return proto as RequestOwner;
    proto = Object.getPrototypeOf(proto);
  }
  return undefined;
}
