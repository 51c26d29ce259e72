// In-process tracing for the unit tests: the emulator, a tracer provider with ThreadTraceIdGenerator and an
// in-memory exporter, and OpenAIInstrumentation enabled before `openai` is first required, so the
// require hook patches the SDK exactly as in an app. No build, no pack, no child process.
//
// One per test file: node --test runs each file in its own process, and the require hook patches the
// (cached) `openai` module once; tests that need other options call configure().
import assert from 'node:assert/strict';
import { diag, DiagLogLevel, SpanKind, SpanStatusCode, type DiagLogger } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type OpenAIType from 'openai';
import type { ClientOptions } from 'openai';
import { OpenAIInstrumentation, ThreadTraceIdGenerator, type OpenAIInstrumentationConfig } from '../../../src/index';
import { PACKAGE_NAME } from '../../../src/version';
import { startEmulator, type Emulator, type EmulatorFault, type EmulatorOptions, type FaultRequest } from '../../../src/testing/index';
import type { SpanJSON } from '../../support/spans';

export type { SpanJSON };
export type OpenAIClass = typeof OpenAIType;

export interface Tracing {
  /** A client of the emulator (no retries unless asked for). */
  client: OpenAIType;
  /** Another client of the same emulator, e.g. with retries. */
  makeClient(options?: ClientOptions): OpenAIType;
  OpenAI: OpenAIClass;
  emulator: Emulator;
  instrumentation: OpenAIInstrumentation;
  /** Finished spans so far, after the instrumentation's background work (steps fetches) settled. */
  spans(): Promise<SpanJSON[]>;
  /** Finished spans now, without waiting (for polling until something ends). */
  finishedNow(): SpanJSON[];
  /** WARN and ERROR diag messages so far. */
  diag: { level: 'WARN' | 'ERROR'; message: string }[];
  /** Forget the spans, diag messages and recorded requests so far. */
  reset(): void;
  /** New instrumentation options (open runs and responses end, marked 'reconfigured'). */
  configure(config: OpenAIInstrumentationConfig): void;
  close(): Promise<void>;
}

let active = false;
export const API_KEY = 'sk-unit-test-not-a-real-key';

export async function startTracing(config: OpenAIInstrumentationConfig = {}, emulatorOptions: EmulatorOptions = {}): Promise<Tracing> {
  if (active) throw new Error('startTracing: one per test file (the require hook patches openai once per process)');
  active = true;
  const messages: Tracing['diag'] = [];
  const record =
    (level: 'WARN' | 'ERROR') =>
    (message: string, ...args: unknown[]) =>
      void messages.push({ level, message: [message, ...args.map((a) => (a instanceof Error ? a.message : String(a)))].join(' ') });
  const noop = () => undefined;
  const logger: DiagLogger = { error: record('ERROR'), warn: record('WARN'), info: noop, debug: noop, verbose: noop };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });

  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ idGenerator: new ThreadTraceIdGenerator(), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  const instrumentation = new OpenAIInstrumentation(config);
  instrumentation.setTracerProvider(provider);
  instrumentation.enable();
  // Required only now, so the require hook sees it (an import at the top would load it before enable()).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the require must run after enable(), see above
  const OpenAI = (require('openai') as { OpenAI: OpenAIClass }).OpenAI;
  const emulator = await startEmulator({ pollAfterMs: 1, ...emulatorOptions });
  const makeClient = (options: ClientOptions = {}) => new OpenAI({ apiKey: API_KEY, baseURL: emulator.baseURL, maxRetries: 0, ...options });

  const finishedNow = () => exporter.getFinishedSpans().map(spanToJSON);
  return {
    client: makeClient(),
    makeClient,
    OpenAI,
    emulator,
    instrumentation,
    diag: messages,
    finishedNow,
    async spans() {
      await instrumentation.flush();
      await provider.forceFlush();
      return finishedNow();
    },
    reset() {
      exporter.reset();
      messages.length = 0;
      emulator.requests.length = 0;
    },
    configure(next) {
      instrumentation.setConfig(next);
    },
    async close() {
      instrumentation.disable();
      await emulator.close();
      await provider.shutdown();
      diag.disable();
      active = false;
    },
  };
}

const hrMs = (hr: [number, number]) => hr[0] * 1e3 + hr[1] / 1e6;

/** The harness's span shape (test/harness/run-cell.ts), so test/support/spans.ts helpers apply. */
export function spanToJSON(span: ReadableSpan): SpanJSON {
  const ctx = span.spanContext();
  const startMs = hrMs(span.startTime);
  const endMs = hrMs(span.endTime);
  return {
    name: span.name,
    kind: SpanKind[span.kind],
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    startMs,
    endMs,
    durationMs: endMs - startMs,
    status: { code: SpanStatusCode[span.status.code] as SpanJSON['status']['code'], message: span.status.message },
    attributes: { ...span.attributes },
    events: span.events.map((e) => ({ name: e.name, timeMs: hrMs(e.time), attributes: { ...(e.attributes ?? {}) } })),
    links: span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attributes: { ...(l.attributes ?? {}) } })),
    scope: span.instrumentationScope.name,
  };
}

/** Polls until `done` holds (spans that end on a timer, e.g. the TTL sweep), failing after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | undefined, timeoutMs = 3000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A stream fault for the next request on one path (a socket route), taken once: `fault` is the emulator option. */
export function faultOnce(path: string): { arm(fault: EmulatorFault | null): void; fault(request: FaultRequest): EmulatorFault | null } {
  let next: EmulatorFault | null = null;
  return {
    arm: (fault) => void (next = fault),
    fault: (request) => {
      if (request.path !== path || !next) return null;
      const fault = next;
      next = null;
      return fault;
    },
  };
}

/**
 * The differential every socket test makes: the scenario traced, then again with the instrumentation
 * disabled (nothing of ours may be traced then); what the app saw, as `seen` renders it (ids and times taken out),
 * must be the same both times, and no warning or internal error may have been logged. The traced run's spans.
 */
export async function withAndWithout<T>(t: Tracing, scenario: () => Promise<T>, seen: (saw: T) => string): Promise<SpanJSON[]> {
  t.reset();
  const traced = seen(await scenario());
  const spans = await t.spans();
  assert.deepEqual(t.diag, [], 'no warning or internal error while observing');
  t.instrumentation.disable();
  t.reset();
  try {
    const plain = seen(await scenario());
    assert.equal((await t.spans()).filter((x) => x.scope === PACKAGE_NAME).length, 0, "disabled: nothing traced (the app's own spans aside)");
    assert.equal(traced, plain, 'the app saw the same with and without the instrumentation');
  } finally {
    t.instrumentation.enable();
  }
  return spans;
}
