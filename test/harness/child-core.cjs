'use strict';
// What both cell children (child.cjs, child.mjs) do, minus how they load modules.
// A child is a user's app: it sets up the OTel SDK from a consumer dir (test/matrix/otel*), enables
// the packed instrumentation, loads the real openai SDK, runs scenarios, and writes what happened
// (results, spans, diag warnings, unhandled rejections) as JSON to the file the parent named.
//
// argv: <args.json> <results.json>. args: { cell, consumerDir, openaiDir, scenarios: [{ name, module, args }],
//   instrumentationConfig?, idGenerator?, baseURL?, esmHook?: 'include' | 'all' }
const { createRequire } = require('node:module');
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

// Distinctive credentials on every client the harness makes: every exported span is scanned for them
// (secretScan below), so a leak of the key or the organization / project headers fails the cell.
const API_KEY = 'sk-spanlens-test-SECRET-0123456789';
const ORGANIZATION = 'org-spanlensSECRETorg0123';
const PROJECT = 'proj_spanlensSECRETproj0123';
/** What must never appear in an exported span (case-insensitive): the credentials and the header names. */
const SECRET_PATTERNS = [API_KEY, 'spanlens-test-SECRET', ORGANIZATION, PROJECT, 'SECRETorg', 'SECRETproj', 'authorization', 'bearer ', 'openai-organization', 'openai-project', 'x-api-key'];
const PACKAGE_NAME = '@spanlens/instrumentation-openai';
const COMPAT = path.resolve(__dirname, '../scenarios/compat.mjs');

/** The file a package's `exports['.']` (or `main`) points to under the given conditions, as Node would pick it. */
function resolveEntry(pkgDir, conditions) {
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const pick = (target) => {
    if (typeof target === 'string') return target;
    if (Array.isArray(target)) {
      for (const t of target) {
        const r = pick(t);
        if (r) return r;
      }
      return undefined;
    }
    if (target && typeof target === 'object') {
      for (const key of Object.keys(target)) {
        if (key === 'default' || conditions.includes(key)) {
          const r = pick(target[key]);
          if (r) return r;
        }
      }
    }
    return undefined;
  };
  let exp = pkg.exports;
  if (exp && typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.'))) exp = exp['.'];
  const rel = (exp !== undefined ? pick(exp) : undefined) ?? pkg.main ?? 'index.js';
  return path.join(pkgDir, rel);
}

/** A package's version via the file `req` resolves for it (its package.json need not be exported). */
function packageVersion(req, name) {
  let dir = path.dirname(req.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      if (pkg.name === name) return pkg.version;
    } catch {
      /* no readable package.json here: look further up */
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function describeError(err) {
  if (err === null || typeof err !== 'object') return { message: String(err) };
  const out = { name: err.name, className: err.constructor?.name, message: err.message, stack: err.stack };
  for (const key of ['status', 'code', 'type', 'param']) if (err[key] !== undefined) out[key] = err[key];
  if (err.cause !== undefined) out.cause = describeError(err.cause);
  return out;
}

/** JSON.stringify that survives what scenarios and spans may hold: bigints, errors, cycles, typed arrays. */
function safeStringify(value) {
  const seen = new WeakSet();
  return JSON.stringify(
    value,
    function replacer(_key, v) {
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'function') return `[Function ${v.name || 'anonymous'}]`;
      if (v instanceof Error) return describeError(v);
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v);
      if (v && typeof v === 'object') {
        if (seen.has(v)) return '[Circular]';
        seen.add(v);
      }
      return v;
    },
    2,
  );
}

const hrMs = (hr) => hr[0] * 1e3 + hr[1] / 1e6;

/** One shape for 2.x and 3.x ReadableSpans (2.x before 2.0 had parentSpanId/instrumentationLibrary). */
function spanToJSON(api, span) {
  const ctx = span.spanContext();
  const startMs = hrMs(span.startTime);
  const endMs = hrMs(span.endTime);
  const scope = span.instrumentationScope ?? span.instrumentationLibrary;
  return {
    name: span.name,
    kind: api.SpanKind[span.kind] ?? String(span.kind),
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? span.parentSpanId ?? undefined,
    startMs,
    endMs,
    durationMs: span.duration ? hrMs(span.duration) : endMs - startMs,
    status: { code: api.SpanStatusCode[span.status.code] ?? String(span.status.code), message: span.status.message },
    attributes: { ...span.attributes },
    events: (span.events ?? []).map((e) => ({ name: e.name, timeMs: hrMs(e.time), attributes: { ...(e.attributes ?? {}) } })),
    links: (span.links ?? []).map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      attributes: { ...(l.attributes ?? {}) },
    })),
    scope: scope?.name,
  };
}

/**
 * Everything of a finished span that an exporter sends (name, attributes, events, links, status, resource,
 * scope), as one lower-cased string, and the secret patterns found in it.
 */
function secretHits(span) {
  const ctx = span.spanContext();
  const scope = span.instrumentationScope ?? span.instrumentationLibrary;
  const text = safeStringify({
    name: span.name,
    attributes: span.attributes,
    events: span.events,
    links: span.links,
    status: span.status,
    resource: span.resource?.attributes,
    scope,
    traceState: ctx.traceState?.serialize?.(),
  }).toLowerCase();
  return SECRET_PATTERNS.filter((p) => text.includes(p.toLowerCase())).map((p) => ({ pattern: p, span: span.name }));
}

/**
 * @param {object} io
 * @param {'cjs'|'esm'} io.format
 * @param {(consumerDir: string, appRequire: NodeRequire) => Promise<{ mod: any, entry: string }>} io.loadPackage
 *   our package, as an app of this format in the consumer dir loads it
 * @param {(hook: { mode: 'include'|'all', instrumentationHookUrl: string, iitmPath: string }) => { ready(): Promise<void> }} io.registerEsmHook
 *   ESM only: registers the import-in-the-middle loader hook
 * @param {(openaiAppDir: string) => Promise<{ mod: any, entry: string }>} io.loadOpenAI
 *   loads `openai` as an app in test/matrix/openai<N> does; entry is the file it loaded
 * @param {(openaiAppDir: string, name: string) => Promise<{ mod: any, entry: string }>} io.loadAppModule
 *   loads another package of that dir (the Agents SDK) the same way (ctx.loadAppModule in scenarios)
 */
async function runChild(io) {
  const [argsPath, resultsPath] = process.argv.slice(2);
  if (!argsPath || !resultsPath) throw new Error('usage: child <args.json> <results.json>');
  const args = JSON.parse(readFileSync(argsPath, 'utf8'));
  const { cell } = args;

  // Recording buckets: setup first, then one per scenario.
  const setup = { diag: [], unhandled: [], console: [] };
  const secretScan = { spans: 0, hits: [] };
  let current = setup;
  process.on('unhandledRejection', (reason) => current.unhandled.push({ kind: 'unhandledRejection', ...describeError(reason) }));
  process.on('uncaughtException', (err) => current.unhandled.push({ kind: 'uncaughtException', ...describeError(err) }));
  // Console output and process warnings are recorded (and still printed): the instrumentation reports
  // through diag only, so tests compare this with the uninstrumented run.
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
    const original = console[method].bind(console);
    console[method] = (...msg) => {
      (current.console ??= []).push({
        method,
        text: msg
          .map((m) => (typeof m === 'string' ? m : safeStringify(m)))
          .join(' ')
          .slice(0, 2000),
      });
      original(...msg);
    };
  }
  process.on('warning', (w) => (current.console ??= []).push({ method: 'process.warning', text: `${w.name}: ${w.message}` }));

  // The app's OTel setup, from the consumer dir as npm installed it.
  const appRequire = createRequire(path.join(args.consumerDir, 'package.json'));
  const api = appRequire('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = appRequire('@opentelemetry/context-async-hooks');

  const record =
    (level) =>
    (...msg) =>
      current.diag.push({ level, message: msg.map((m) => (typeof m === 'string' ? m : safeStringify(m))).join(' ') });
  const noop = () => {};
  api.diag.setLogger({ error: record('ERROR'), warn: record('WARN'), info: noop, debug: noop, verbose: noop }, api.DiagLogLevel.WARN);

  const pkgJsonPath = appRequire.resolve(`${PACKAGE_NAME}/package.json`);
  const { mod: pkg, entry: packageEntry } = await io.loadPackage(args.consumerDir, appRequire);
  // The @opentelemetry/instrumentation our package resolves (hoisted to the app's top level, or nested when npm
  // had to give the package its own copy): registerInstrumentations and the ESM hook must be that copy's.
  const pkgRequire = createRequire(pkgJsonPath);
  const otelInstrumentation = pkgRequire('@opentelemetry/instrumentation');

  const useIdGenerator = args.idGenerator !== false && typeof pkg.ThreadTraceIdGenerator === 'function';
  const idGenerator = useIdGenerator ? new pkg.ThreadTraceIdGenerator() : undefined;
  const exporter = (() => {
    const sdk = appRequire(cell.otel === 3 ? '@opentelemetry/sdk-trace' : '@opentelemetry/sdk-trace-base');
    return { sdk, exporter: new sdk.InMemorySpanExporter() };
  })();
  const { sdk } = exporter;
  const memory = exporter.exporter;
  // Counts every span started and ended, so tests can assert that every started span ends exactly once.
  const spanCounts = { started: 0, ended: 0, open: new Map() };
  const counting = {
    onStart(span) {
      spanCounts.started++;
      spanCounts.open.set(span, span.name);
    },
    onEnd(span) {
      spanCounts.ended++;
      spanCounts.open.delete(span);
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  let provider;
  if (cell.otel === 3) {
    provider = new sdk.TracerProvider({
      spanProcessors: [counting, new sdk.SimpleSpanProcessor({ exporter: memory })],
      ...(idGenerator ? { idGenerator } : {}),
    });
  } else {
    provider = new sdk.BasicTracerProvider({
      spanProcessors: [counting, new sdk.SimpleSpanProcessor(memory)],
      ...(idGenerator ? { idGenerator } : {}),
    });
  }
  // Metrics through the API, read at the end (cumulative over the cell's scenarios).
  const metricsSdk = appRequire('@opentelemetry/sdk-metrics');
  const metricExporter = new metricsSdk.InMemoryMetricExporter(metricsSdk.AggregationTemporality.CUMULATIVE);
  const metricReader = new metricsSdk.PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new metricsSdk.MeterProvider({ readers: [metricReader] });
  api.metrics.setGlobalMeterProvider(meterProvider);
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.trace.setGlobalTracerProvider(provider);

  // ESM: the loader hook of the import-in-the-middle copy that our package's @opentelemetry/instrumentation
  // uses (a Hook only sees modules wrapped by its own copy's loader), registered before the instrumentation
  // is constructed (its constructor enables it, which creates the Hook and, in 'include' mode, tells the loader).
  const esmHookMode = args.esmHook ?? 'include';
  let esmHook;
  if (cell.format === 'esm') {
    const instrumentationMain = pkgRequire.resolve('@opentelemetry/instrumentation');
    esmHook = io.registerEsmHook({
      mode: esmHookMode,
      instrumentationHookUrl: pathToFileURL(pkgRequire.resolve('@opentelemetry/instrumentation/hook.mjs')).href,
      iitmPath: createRequire(instrumentationMain).resolve('import-in-the-middle'),
    });
  }
  // A config with code in it (a redaction hook) comes from a module named by the test.
  const configModule = process.env.SPANLENS_TEST_CONFIG_MODULE;
  const codeConfig = configModule ? (await import(pathToFileURL(configModule).href)).default : {};
  // instrument: false runs the same app without the instrumentation (the baseline of differential tests);
  // not even constructed, since constructing one enables its require/import hooks.
  const instrumentation = args.instrument === false ? undefined : new pkg.OpenAIInstrumentation({ ...codeConfig, ...(args.instrumentationConfig ?? {}) });
  if (instrumentation) otelInstrumentation.registerInstrumentations({ instrumentations: [instrumentation] });
  if (esmHook) await esmHook.ready();

  const openaiPkgDir = path.join(args.openaiDir, 'node_modules/openai');
  const { mod: openaiModule, entry: openaiEntry } = await io.loadOpenAI(args.openaiDir);
  const OpenAI = openaiModule.OpenAI ?? openaiModule.default;
  const openaiVersion = JSON.parse(readFileSync(path.join(openaiPkgDir, 'package.json'), 'utf8')).version;
  const major = Number(openaiVersion.split('.')[0]);
  const { compat } = await import(pathToFileURL(COMPAT).href);
  const tracer = api.trace.getTracer('app');
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  const scenarios = {};
  for (const scenario of args.scenarios) {
    const bucket = { result: undefined, error: undefined, spans: [], diag: [], unhandled: [], console: [] };
    scenarios[scenario.name] = bucket;
    current = bucket;
    // Progress, for the harness to report which scenario a child that timed out was stuck in.
    process.stdout.write(`[child] ${new Date().toISOString()} scenario ${scenario.name}${args.instrument === false ? ' (uninstrumented)' : ''}\n`);
    const ctx = {
      OpenAI,
      openaiModule,
      openaiEntry,
      openaiVersion,
      major,
      format: cell.format,
      cell,
      baseURL: args.baseURL,
      apiKey: API_KEY,
      organization: ORGANIZATION,
      project: PROJECT,
      compat: (client) => compat(client, major),
      /** A package installed next to openai in the cell's openai dir, loaded as this app's format loads it. */
      loadAppModule: (name) => io.loadAppModule(args.openaiDir, name),
      makeClient(extraOptions = {}) {
        const client = new OpenAI({ apiKey: API_KEY, organization: ORGANIZATION, project: PROJECT, baseURL: args.baseURL, ...extraOptions });
        return { client, api: compat(client, major) };
      },
      api,
      tracer,
      instrumentation,
      provider,
      exporter: memory,
      args: scenario.args,
      sleep,
    };
    try {
      const mod = await import(pathToFileURL(scenario.module).href);
      bucket.result = await mod.default(ctx);
    } catch (err) {
      bucket.error = describeError(err);
    }
    try {
      await instrumentation?.flush?.();
      await provider.forceFlush();
    } catch (err) {
      bucket.unhandled.push({ kind: 'flush', ...describeError(err) });
    }
    await tick();
    const finished = memory.getFinishedSpans();
    for (const s of finished) {
      secretScan.spans++;
      secretScan.hits.push(...secretHits(s).map((h) => ({ ...h, scenario: scenario.name })));
    }
    bucket.spans = finished.map((s) => spanToJSON(api, s));
    memory.reset();
  }
  current = setup;
  // Shutdown as an app does it (disable before provider shutdown): nothing may stay open after it.
  instrumentation?.disable();
  await instrumentation?.flush?.();

  await metricReader.forceFlush();
  const metrics = [];
  for (const batch of metricExporter.getMetrics()) {
    for (const scope of batch.scopeMetrics) {
      for (const m of scope.metrics) {
        metrics.push({
          name: m.descriptor.name,
          unit: m.descriptor.unit,
          scope: scope.scope.name,
          points: m.dataPoints.map((p) => ({ attributes: { ...p.attributes }, value: typeof p.value === 'number' ? p.value : { sum: p.value.sum, count: p.value.count } })),
        });
      }
    }
  }
  const results = {
    node: process.version,
    metrics,
    spanCounts: { started: spanCounts.started, ended: spanCounts.ended, open: [...spanCounts.open.values()] },
    secretScan: { ...secretScan, spans: secretScan.spans + memory.getFinishedSpans().length, hits: [...secretScan.hits, ...memory.getFinishedSpans().flatMap(secretHits)] },
    setup: {
      ...setup,
      idGenerator: idGenerator ? idGenerator.constructor.name : 'default',
      esmHook: cell.format === 'esm' ? esmHookMode : undefined,
      openaiEntry,
      openaiVersion,
      packagePath: path.dirname(pkgJsonPath),
      packageEntry,
      instrumentationVersion: packageVersion(pkgRequire, '@opentelemetry/instrumentation'),
      apiVersion: packageVersion(appRequire, '@opentelemetry/api'),
      packageApiVersion: packageVersion(pkgRequire, '@opentelemetry/api'),
    },
    scenarios,
  };
  writeFileSync(resultsPath, safeStringify(results));
  await provider.shutdown().catch(() => {});
}

function main(io) {
  runChild(io).then(
    // Exit explicitly: SDK keep-alive sockets or a scenario's stray timer must not hold the cell open.
    () => process.exit(0),
    (err) => {
      process.stderr.write(`[cell child] setup failed: ${err && err.stack ? err.stack : err}\n`);
      process.exit(1);
    },
  );
}

module.exports = { main, resolveEntry, describeError, spanToJSON, API_KEY, ORGANIZATION, PROJECT, SECRET_PATTERNS };
