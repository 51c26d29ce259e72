// span-dump child: replays ONE recorded cassette through the real `openai` SDK (the repo's own
// node_modules copy) with the repo's built instrumentation enabled, and writes the finished spans (raw,
// see raw-span.cjs) as JSON. One process per cassette, so no state (thread store, known assistant names,
// runs left open) leaks from one recording into the next.
//
// Run by scripts/span-dump.mjs as:  node --import tsx replay-child.mjs <args.json>   (cwd = the repo)
// because the replay machinery (cassette.ts, server.ts) is TypeScript.
// args: { mode: 'replay', repo, replayDir, cassette, chunkSplit: 'events'|'random', seed, out }
//    or { mode: 'list', replayDir, recordings, out }: writes [{ file, hasSSE }] for listCassettes(recordings)
//
// Setup mirrors the test cells (test/harness/child-core.cjs): BasicTracerProvider + SimpleSpanProcessor
// into an InMemorySpanExporter, ThreadTraceIdGenerator as the idGenerator, AsyncLocalStorage context,
// instrumentation registered before `openai` is required. After the drive, the instrumentation is disabled
// (as test/scenarios/replay.mjs does) so runs the recording never finished end, as at an app's shutdown.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const importTs = (file) => import(pathToFileURL(path.join(args.replayDir, file)).href);

if (args.mode === 'list') {
  const { listCassettes, loadCassette } = await importTs('cassette.ts');
  const list = listCassettes(args.recordings).map((file) => ({
    file,
    hasSSE: loadCassette(file).interactions.some((i) => i.response.isSSE),
  }));
  writeFileSync(args.out, JSON.stringify(list));
  process.exit(0);
}
const repoRequire = createRequire(path.join(args.repo, 'package.json'));
const { toRaw } = createRequire(import.meta.url)('./raw-span.cjs');

const api = repoRequire('@opentelemetry/api');
const sdk = repoRequire('@opentelemetry/sdk-trace-base');
const { AsyncLocalStorageContextManager } = repoRequire('@opentelemetry/context-async-hooks');

const diag = [];
const record =
  (level) =>
  (...msg) =>
    diag.push({ level, message: msg.map((m) => (typeof m === 'string' ? m : String(m))).join(' ') });
const noop = () => {};
api.diag.setLogger({ error: record('ERROR'), warn: record('WARN'), info: noop, debug: noop, verbose: noop }, api.DiagLogLevel.WARN);
const unhandled = [];
process.on('unhandledRejection', (r) => unhandled.push(String(r?.stack ?? r)));

const pkgEntry = path.join(args.repo, 'dist/cjs/index.js');
const pkg = repoRequire(pkgEntry);
// registerInstrumentations must come from the @opentelemetry/instrumentation copy the package uses.
const otelInstrumentation = createRequire(pkgEntry)('@opentelemetry/instrumentation');

const memory = new sdk.InMemorySpanExporter();
const provider = new sdk.BasicTracerProvider({
  idGenerator: new pkg.ThreadTraceIdGenerator(),
  spanProcessors: [new sdk.SimpleSpanProcessor(memory)],
});
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
api.trace.setGlobalTracerProvider(provider);

const instrumentation = new pkg.OpenAIInstrumentation();
otelInstrumentation.registerInstrumentations({ instrumentations: [instrumentation] });

const openaiModule = repoRequire('openai'); // after the instrumentation: the require hook patches it
const OpenAI = openaiModule.OpenAI ?? openaiModule.default;
const openaiVersion = packageVersion('openai');
const major = Number(openaiVersion.split('.')[0]);

/** A package's version, found from the file it resolves to (its package.json need not be exported). */
function packageVersion(name) {
  for (let dir = path.dirname(repoRequire.resolve(name)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const p = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      if (p.name === name) return p.version;
    } catch {
      // not this package, or no package.json here: look further up
    }
  }
  throw new Error(`cannot find the version of ${name}`);
}

const { loadCassette } = await importTs('cassette.ts');
const { startReplayServer } = await importTs('server.ts');
const { default: drive } = await importTs('drive.mjs');

const cassette = loadCassette(args.cassette);
const server = await startReplayServer(cassette, { chunkSplit: args.chunkSplit, seed: args.seed });
let result;
let error;
try {
  result = await drive({ OpenAI, major, baseURL: server.baseURL, args: { cassette: args.cassette } });
} catch (err) {
  error = String(err?.stack ?? err);
}
instrumentation.disable();
await instrumentation.flush?.();
await provider.forceFlush();
await new Promise((resolve) => setImmediate(resolve));
const spans = memory.getFinishedSpans().map((s) => toRaw(api, s));

writeFileSync(
  args.out,
  JSON.stringify({
    spans,
    openaiVersion,
    error,
    diag,
    unhandled,
    statuses: result?.calls?.map((c) => c.status),
    recordedStatuses: cassette.interactions.map((i) => i.response.status),
    remaining: server.remaining(),
    mismatches: server.mismatches,
  }),
);
await server.close();
await provider.shutdown().catch(() => {});
process.exit(0); // SDK keep-alive sockets must not hold the child open
