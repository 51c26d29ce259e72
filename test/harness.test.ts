// The cell harness checks itself: in every matrix cell a real openai SDK call goes over HTTP to a local
// server, and the child proves which node, which openai major and build (CJS or ESM), that the
// instrumentation's patch was applied to that build, and that spans reach the OTel line's exporter.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CELLS, CellError, cellName, forEachCell, runCell, type Cell, type CellRun, type SpanJSON } from './harness/run-cell';
import { MATRIX_DIR, consumerDir, resolution } from './harness/matrix.mjs';

const HARNESS = path.join(__dirname, 'harness');
const SMOKE = path.join(HARNESS, 'smoke-scenario.mjs');
const API_KEY = 'sk-spanlens-test-SECRET-0123456789';
const MODELS = { object: 'list', data: [{ id: 'spanlens-smoke-model', object: 'model', created: 1700000000, owned_by: 'spanlens' }] };

let server: Server;
let baseURL: string;
const seen: { method?: string; url?: string; authorization?: string }[] = [];

before(async () => {
  server = createServer((req: IncomingMessage, res) => {
    seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    req.resume();
    res.setHeader('content-type', 'application/json');
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.end(JSON.stringify(MODELS));
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error', code: 'not_found' } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function assertSmoke(cell: Cell, run: CellRun): void {
  const smoke = run.scenarios.smoke;
  assert.ok(smoke, 'smoke scenario ran');
  assert.equal(smoke.error, undefined, `smoke scenario threw: ${smoke.error?.stack}`);
  const r = smoke.result;

  // Node line, openai major.
  assert.equal(run.node.split('.')[0], `v${cell.node}`);
  assert.equal(r.node, run.node);
  assert.equal(Number(r.openaiVersion.split('.')[0]), cell.openai);

  // Module format: which file was loaded, what kind of object came back, where the SDK's code ran from.
  assert.ok(r.sdkFrames.length > 0, 'the SDK appears on the stack of its fetch call');
  if (cell.format === 'esm') {
    assert.equal(r.openaiEntry, 'index.mjs');
    assert.equal(r.namespaceTag, '[object Module]');
    for (const f of r.sdkFrames) assert.match(f, /\.mjs$/, `ESM cell ran SDK code from ${f}`);
    for (const f of ['index.js', 'client.js', 'core.js']) assert.ok(!r.cjsLoaded.includes(f), `ESM cell also loaded CJS ${f}`);
    assert.match(run.setup.packageEntry, /dist[\\/]esm[\\/]index\.mjs$/);
  } else {
    assert.equal(r.openaiEntry, 'index.js');
    assert.notEqual(r.namespaceTag, '[object Module]');
    for (const f of r.sdkFrames) assert.match(f, /\.js$/, `CJS cell ran SDK code from ${f}`);
    assert.ok(r.cjsLoaded.includes('index.js'), `CJS files loaded: ${r.cjsLoaded.join(', ')}`);
    assert.match(run.setup.packageEntry, /dist[\\/]cjs[\\/]index\.js$/);
  }

  // The patch: shimmer's wrapper on the makeRequest of the class that owns it, in this very build.
  assert.deepEqual(r.owner, { name: cell.openai === 4 ? 'APIClient' : 'OpenAI', wrapped: true, hasOriginal: true });

  // The real call went over HTTP and returned the server's data.
  assert.deepEqual(r.data, MODELS.data);

  // Span JSON from the app's ambient span and its child, through this OTel line's provider and exporter.
  const app = smoke.spans.filter((s: SpanJSON) => s.scope === 'app');
  const ambient = app.find((s) => s.name === 'smoke.ambient');
  const child = app.find((s) => s.name === 'smoke.child');
  assert.ok(ambient && child, `app spans: ${app.map((s) => s.name).join(', ')}`);
  assert.equal(ambient.traceId, r.traceId);
  assert.equal(ambient.spanId, r.spanId);
  assert.match(ambient.traceId, /^[0-9a-f]{32}$/);
  assert.match(ambient.spanId, /^[0-9a-f]{16}$/);
  assert.equal(ambient.parentSpanId, undefined);
  assert.equal(ambient.kind, 'INTERNAL');
  assert.deepEqual(ambient.status, { code: 'OK' });
  assert.deepEqual(ambient.attributes, { 'smoke.major': cell.openai });
  assert.equal(ambient.events.length, 1);
  assert.equal(ambient.events[0].name, 'smoke.listed');
  assert.deepEqual(ambient.events[0].attributes, { 'smoke.count': 1 });
  const spanTimes = JSON.stringify({ ambient: [ambient.startMs, ambient.events[0].timeMs, ambient.endMs, ambient.durationMs], child: [child.startMs, child.endMs] });
  assert.ok(ambient.events[0].timeMs >= ambient.startMs && ambient.events[0].timeMs <= ambient.endMs, spanTimes);
  assert.ok(ambient.endMs >= ambient.startMs, spanTimes);
  assert.ok(Math.abs(ambient.durationMs - (ambient.endMs - ambient.startMs)) < 0.01, spanTimes);
  assert.ok(Math.abs(ambient.startMs - Date.now()) < 10 * 60_000, 'startMs is epoch milliseconds');

  assert.equal(child.traceId, ambient.traceId);
  assert.equal(child.parentSpanId, ambient.spanId);
  assert.equal(child.kind, 'CLIENT');
  assert.deepEqual(child.status, { code: 'ERROR', message: 'on purpose' });
  assert.deepEqual(child.links, [{ traceId: ambient.traceId, spanId: ambient.spanId, attributes: { 'smoke.link': true } }]);
  // OTel JS anchors each span's clock on its own whole-millisecond Date.now() and runs it on the monotonic clock
  // from there, so times of different spans disagree, more so under load as the wall clock drifts from the
  // monotonic one (seen: 1.3 ms idle, 5.2 ms with a Go build running): compare them loosely.
  assert.ok(child.startMs >= ambient.startMs - 50 && child.endMs <= ambient.endMs + 50, spanTimes);

  // Nothing went wrong quietly.
  assert.deepEqual(run.setup.diag, []);
  assert.deepEqual(run.setup.unhandled, []);
  assert.deepEqual(smoke.diag, []);
  assert.deepEqual(smoke.unhandled, []);
}

forEachCell((cell) => {
  it('runs a real SDK call in the right node, openai major and module build, patched, with spans', async () => {
    const before = seen.length;
    const run = await runCell(cell, { baseURL, scenarios: [{ name: 'smoke', module: SMOKE }] });
    assertSmoke(cell, run);
    const requests = seen.slice(before);
    assert.deepEqual(
      requests.map((q) => `${q.method} ${q.url}`),
      ['GET /v1/models'],
    );
    assert.equal(requests[0].authorization, `Bearer ${API_KEY}`);
  });

  if (cell.format === 'esm') {
    // The other way users register the ESM hook: OTel's documented `register('@opentelemetry/instrumentation/hook.mjs')`,
    // which wraps every module. openai 4's ESM build does not load under it at all (import-in-the-middle's wrapper
    // of openai/_shims/registry.mjs does not carry the live `kind` binding, so core.mjs's init() throws
    // "you must `import 'openai/shims/node'` before importing anything else") — with or without this package.
    const todo = cell.openai === 4 ? 'openai 4 ESM does not load under the hook-everything ESM loader (import-in-the-middle)' : undefined;
    it('also works with the hook-everything ESM loader', { todo }, async () => {
      const run = await runCell(cell, { baseURL, esmHook: 'all', scenarios: [{ name: 'smoke', module: SMOKE }] });
      assert.equal(run.setup.esmHook, 'all');
      assertSmoke(cell, run);
    });
  }
});

describe('harness plumbing', () => {
  const cells = [CELLS.find((c) => c.node === '20' && c.format === 'cjs')!, CELLS.find((c) => c.otel === 3 && c.format === 'esm')!];
  for (const cell of cells) {
    it(`${cellName(cell)}: scenarios are isolated, errors/diag/unhandled rejections are recorded per scenario`, async () => {
      const run = await runCell(cell, {
        baseURL,
        env: { SPANLENS_FIXTURE_ENV: 'from-parent', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' },
        scenarios: [
          { name: 'first', module: path.join(HARNESS, 'fixtures/echo.mjs'), args: { tag: 'one', n: 1 } },
          { name: 'fails', module: path.join(HARNESS, 'fixtures/fails.mjs') },
          { name: 'second', module: path.join(HARNESS, 'fixtures/echo.mjs'), args: { tag: 'two' } },
        ],
      });
      const { first, fails, second } = run.scenarios;
      assert.deepEqual(first.result.args, { tag: 'one', n: 1 });
      assert.equal(first.result.apiKey, API_KEY);
      assert.equal(first.result.env, 'from-parent');
      assert.deepEqual(first.result.openaiEnv, ['OPENAI_BASE_URL'], 'only what the test passes explicitly');
      assert.equal(first.result.baseURL, baseURL);
      assert.equal(first.result.clientBaseURL, baseURL);
      assert.deepEqual(
        first.spans.map((s) => s.name),
        ['echo.one'],
      );
      assert.deepEqual(
        second.spans.map((s) => s.name),
        ['echo.two'],
        'the exporter is reset between scenarios',
      );

      assert.equal(fails.result, undefined);
      assert.equal(fails.error?.className, 'NotFoundError');
      assert.equal(fails.error?.status, 404);
      assert.deepEqual(fails.diag, [{ level: 'WARN', message: 'fixture: a diag warning' }]);
      assert.equal(fails.unhandled.length, 1);
      assert.equal(fails.unhandled[0].kind, 'unhandledRejection');
      assert.equal(fails.unhandled[0].message, 'fixture: stray rejection');
      assert.deepEqual([first.diag, first.unhandled, second.diag, second.unhandled], [[], [], [], []]);
    });
  }

  it('kills a child that outlives timeoutMs and rejects with its stderr', async () => {
    const started = Date.now();
    await assert.rejects(
      runCell(cells[0], { baseURL, timeoutMs: 1500, scenarios: [{ name: 'hangs', module: path.join(HARNESS, 'fixtures/hangs.mjs') }] }),
      (err: unknown) => err instanceof CellError && /timed out after 1500 ms \(killed pid \d+\)/.test(err.message),
    );
    assert.ok(Date.now() - started < 10_000);
  });

  it('rejects with the child stderr when a scenario module cannot even be set up', async () => {
    await assert.rejects(
      runCell(cells[0], { scenarios: [{ name: 'x', module: path.join(HARNESS, 'fixtures/echo.mjs') }], env: { NODE_OPTIONS: '--no-such-flag' } }),
      (err: unknown) => err instanceof CellError && /exited 9/.test(err.message) && /--no-such-flag/.test(err.stderr),
    );
  });
});

// What npm resolved in each consumer dir, installed as a user would (from the packed tarball, by the node the
// cells run on): npm's own verdict (`npm ls --all` exits non-zero on an invalid or missing package), exactly one
// @opentelemetry/api, and the @opentelemetry/instrumentation of the app's OTel line.
//
// Finding (otel2-node22): on Node >= 22.15 npm picks @opentelemetry/instrumentation 0.30x for the package's
// `>=0.200.0 <0.400.0` dependency even in an OTel 2.x app (api ~1.9), nests it under the package, and overrides
// its api peer (>=1.10 <1.11) with the app's 1.9 ("npm warn ERESOLVE overriding peer dependency"); the
// instrumentation's constructor then throws (reading 'getLogger' of undefined) — the otel2 × openai7 cells fail.
describe('npm resolution in the consumer dirs', () => {
  const expected: Record<string, { api: RegExp; instrumentation: RegExp }> = {
    otel2: { api: /^1\.9\./, instrumentation: /^0\.2\d\d\./ },
    'otel2-node22': { api: /^1\.9\./, instrumentation: /^0\.2\d\d\./ },
    otel3: { api: /^1\.10\./, instrumentation: /^0\.30\d\./ },
  };
  for (const [dir, want] of Object.entries(expected)) {
    it(`${dir}: npm ls is clean, one @opentelemetry/api, @opentelemetry/instrumentation of the app's line`, () => {
      const cwd = path.join(MATRIX_DIR, dir);
      const r = resolution(cwd);
      const ls = spawnSync('npm', ['ls', '--all'], { cwd, encoding: 'utf8' });
      const problems = `${ls.stdout}${ls.stderr}`.split('\n').filter((l) => /invalid|missing|ELSPROBLEMS/.test(l));
      assert.deepEqual(problems, [], `npm ls in test/matrix/${dir}`);
      assert.equal(ls.status, 0);
      assert.equal(r.api.length, 1, `api copies: ${JSON.stringify(r.api)}`);
      assert.match(r.api[0].version, want.api);
      assert.equal(r.instrumentation.length, 1, `instrumentation copies: ${JSON.stringify(r.instrumentation)}`);
      assert.match(r.instrumentation[0].version, want.instrumentation, `instrumentation: ${JSON.stringify(r.instrumentation)}`);
    });
  }

  it('every cell runs from a consumer dir holding the freshly packed package', () => {
    for (const cell of CELLS) {
      const r = resolution(consumerDir(cell));
      assert.equal(r.ours.length, 1, `${cellName(cell)}: ${JSON.stringify(r.ours)}`);
    }
  });
});
