import { isProvider, PROVIDER_SYMBOL, type SdkSpan, type SdkTrace, type TraceProviderLike, type TracingProcessor } from './sdk';

/**
 * The SDK's processor list becomes [bridge, gate]: the bridge first, so its synchronous part runs inside
 * Span.start() (the SDK awaits each processor in turn: a later one hears of a span only after the model
 * request it wraps went out); the app's processors behind the gate. The provider's setProcessors /
 * registerProcessor / setDisabled (what setTraceProcessors, addTraceProcessor and setTracingDisabled call)
 * act on the app's processors only: the provider itself stays on while the bridge is active, so switching
 * off the export to OpenAI never switches off the OTel traces. While the app has tracing off, the gate
 * forwards nothing, as the SDK would.
 */
export class ProcessorGate implements TracingProcessor {
  private app: TracingProcessor[] = [];
  private appDisabled: boolean;
  /**
   * Attached to a provider the SDK had already set up: its processors, which cannot be read back, still run
   * in front of the bridge until the app next replaces them (or turns tracing off).
   */
  private inherited = false;
  private bridgeActive = true;
  /** config.agentsSdkExport false: the app's processors (the export to OpenAI) get nothing. */
  private muted = false;
  private readonly original: Pick<TraceProviderLike, 'setProcessors' | 'registerProcessor' | 'setDisabled'>;

  constructor(
    provider: TraceProviderLike,
    private readonly bridge: TracingProcessor,
    fresh: boolean,
  ) {
    this.original = {
      setProcessors: provider.setProcessors.bind(provider),
      registerProcessor: provider.registerProcessor.bind(provider),
      setDisabled: provider.setDisabled.bind(provider),
    };
    this.appDisabled = isDisabled(provider);
    // A fresh provider has no processors yet; a disabled one fed none (they are shut down, as a later
    // setTraceProcessors would); an enabled one keeps them and gets the bridge appended.
    if (fresh || this.appDisabled) this.takeOver([]);
    else {
      this.original.registerProcessor(bridge);
      this.inherited = true;
    }
    this.syncDisabled();
    define(provider, 'setProcessors', (list: TracingProcessor[]) => this.setAppProcessors(list));
    define(provider, 'registerProcessor', (p: TracingProcessor) => this.registerAppProcessor(p));
    define(provider, 'setDisabled', (d: boolean) => this.setAppDisabled(d));
  }

  /** The bridge stopped (instrumentation disabled) or started again: the provider follows the app's wish when it is off. */
  setBridgeActive(active: boolean): void {
    this.bridgeActive = active;
    this.syncDisabled();
  }

  /**
   * Holds the app's processors back (or lets them through again). Inherited ones run in front of the
   * bridge and cannot be held back: muting replaces them (the SDK shuts them down).
   */
  setMuted(muted: boolean): void {
    this.muted = muted;
    if (muted && this.inherited) this.takeOver([]);
  }

  /** What the app's processors are given: nothing while the app has tracing off or the config mutes them. */
  private get forwarding(): boolean {
    return !this.appDisabled && !this.muted;
  }

  private syncDisabled(): void {
    this.original.setDisabled(this.appDisabled && !this.bridgeActive);
  }

  private takeOver(app: TracingProcessor[]): void {
    this.inherited = false;
    this.app = app;
    // The SDK shuts down the list it replaces (the bridge ignores that).
    this.original.setProcessors([this.bridge, this]);
  }

  private setAppProcessors(list: TracingProcessor[]): void {
    const next = Array.isArray(list) ? [...list] : [];
    if (this.inherited) return this.takeOver(next);
    // What the SDK's MultiTracingProcessor.setProcessors does with the processors it replaces.
    for (const p of this.app) {
      try {
        void Promise.resolve(p.shutdown()).catch(() => undefined);
      } catch {
        // as the SDK: a failing shutdown does not stop the replacement
      }
    }
    this.app = next;
  }

  private registerAppProcessor(p: TracingProcessor): void {
    if (this.inherited) this.original.registerProcessor(p);
    else this.app.push(p);
  }

  private setAppDisabled(disabled: boolean): void {
    this.appDisabled = disabled === true;
    // Inherited processors cannot be held back individually: turning tracing off drops them (documented).
    if (this.appDisabled && this.inherited) this.takeOver([]);
    this.syncDisabled();
  }

  async onTraceStart(trace: SdkTrace): Promise<void> {
    if (this.forwarding) for (const p of this.app) await p.onTraceStart(trace);
  }

  async onTraceEnd(trace: SdkTrace): Promise<void> {
    if (this.forwarding) for (const p of this.app) await p.onTraceEnd(trace);
  }

  async onSpanStart(span: SdkSpan): Promise<void> {
    if (this.forwarding) for (const p of this.app) await p.onSpanStart(span);
  }

  async onSpanEnd(span: SdkSpan): Promise<void> {
    if (this.forwarding) for (const p of this.app) await p.onSpanEnd(span);
  }

  async shutdown(timeout?: number): Promise<void> {
    for (const p of this.app) await p.shutdown(timeout);
  }

  async forceFlush(): Promise<void> {
    for (const p of this.app) await p.forceFlush();
  }

  start(): void {
    for (const p of this.app) p.start?.();
  }
}

/** Whether the provider hands out no-op traces (tracing disabled): a trace object is built, never started. */
function isDisabled(provider: TraceProviderLike): boolean {
  try {
    return provider.createTrace({}).traceId === 'no-op';
  } catch {
    return false;
  }
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}

/**
 * Calls `onCreated` when the SDK creates its global provider (getGlobalTraceProvider assigns it to the
 * symbol), so the gate is in place before anything registers; the symbol is a plain property again after.
 * False if globalThis cannot take the accessor.
 */
export function watchProviderCreation(onCreated: (provider: TraceProviderLike) => void): boolean {
  const g = globalThis as Record<symbol, unknown>;
  const existing = Object.getOwnPropertyDescriptor(g, PROVIDER_SYMBOL);
  if (existing?.get || existing?.set) return true; // already watched
  try {
    Object.defineProperty(g, PROVIDER_SYMBOL, {
      configurable: true,
      enumerable: false,
      get: () => undefined,
      set: (value: unknown) => {
        Object.defineProperty(g, PROVIDER_SYMBOL, { value, writable: true, configurable: true, enumerable: false });
        try {
          if (isProvider(value)) onCreated(value);
        } catch {
          // never into the SDK: it would fall back to a second, module-local provider
        }
      },
    });
    return true;
  } catch {
    return false;
  }
}
