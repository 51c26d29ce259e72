// Self-test of the replay machinery (no instrumentation involved):
//   node --import tsx --test test/replay/replay.test.ts        (from the repo root)
// For every cassette in test/fixtures/recordings: replay server + drive.mjs with the root `openai` (v6).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { header, listCassettes, loadCassette, type Cassette } from './cassette';
import { compareQuery, MISMATCH_STATUS, splitEvents, splitRandom, startReplayServer, type ChunkSplit } from './server';

const HERE = path.resolve(process.cwd(), 'test/replay');

interface Call {
  index: number;
  method: string;
  path: string;
  route: string;
  status: number;
  ok: boolean;
  error?: { name: string; status?: number; message?: string };
  events?: string[];
}
interface Summary {
  calls: Call[];
  threadIds: string[];
  runIds: string[];
}
interface PlanStep {
  index: number;
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  status: number;
  isSSE: boolean;
}
interface DriveModule {
  default: (ctx: Record<string, unknown>) => Promise<Summary>;
  readPlan: (file: string) => PlanStep[];
}
type CompatFn = (client: unknown, major: number) => unknown;

// Dynamic import through a variable: plain .mjs files without type declarations.
async function importMjs<T>(file: string): Promise<T> {
  const url = pathToFileURL(path.join(HERE, file)).href;
  return (await import(url)) as T;
}

const ERROR_CLASS: Record<number, string> = {
  400: 'BadRequestError',
  401: 'AuthenticationError',
  403: 'PermissionDeniedError',
  404: 'NotFoundError',
  409: 'ConflictError',
  422: 'UnprocessableEntityError',
  429: 'RateLimitError',
};

/** What the SDK's stream should yield for a recorded SSE body: one name per event, `[DONE]` excluded. */
function expectedEvents(body: Buffer): string[] {
  const out: string[] = [];
  for (const block of body.toString('utf8').split(/\r?\n\r?\n/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (!data.length) continue;
    const text = data.join('\n');
    if (text.startsWith('[DONE]')) continue;
    // Chat completion chunks have neither an `event:` line nor a `type`: they are named by `object`.
    const parsed = JSON.parse(text) as { type?: string; object?: string };
    out.push(event?.startsWith('thread.') ? event : (parsed.type ?? parsed.object ?? event ?? '?'));
  }
  return out;
}

async function replay(file: string, chunkSplit: ChunkSplit, seed = 1, sdk: { OpenAI: unknown; major: number } = { OpenAI, major: 6 }) {
  const [drive, compatMod] = await Promise.all([importMjs<DriveModule>('drive.mjs'), importMjs<{ compat: CompatFn }>('../scenarios/compat.mjs')]);
  const cassette = loadCassette(file);
  const server = await startReplayServer(cassette, { chunkSplit, seed });
  try {
    const summary = await drive.default({ OpenAI: sdk.OpenAI, major: sdk.major, compat: compatMod.compat, baseURL: server.baseURL, args: { cassette: file } });
    return { cassette, server, summary };
  } finally {
    await server.close();
  }
}

function checkReplay(cassette: Cassette, server: Awaited<ReturnType<typeof startReplayServer>>, summary: Summary) {
  assert.deepEqual(server.mismatches, [], 'no unmatched request');
  assert.deepEqual(server.warnings, [], 'no extra query params / body differences / out-of-order requests');
  assert.equal(server.remaining(), 0, 'every interaction served');
  assert.equal(server.served, cassette.interactions.length);
  assert.equal(summary.calls.length, cassette.interactions.length, 'one SDK call per recorded request');
  for (const it of cassette.interactions) {
    const call = summary.calls[it.index]!;
    const where = `${cassette.shortName} #${it.index} ${it.request.method} ${it.request.path}`;
    assert.equal(call.index, it.index, where);
    assert.equal(call.status, it.response.status, `${where}: SDK saw the recorded status`);
    if (it.response.status >= 400) {
      assert.equal(call.ok, false, where);
      assert.equal(call.error?.status, it.response.status, where);
      assert.equal(call.error?.name, ERROR_CLASS[it.response.status] ?? 'APIError', where);
    } else {
      assert.equal(call.ok, true, `${where}: ${JSON.stringify(call.error)}`);
      assert.ok(!call.route.startsWith('client.'), `${where}: mapped to a high-level SDK method`);
    }
    if (it.response.isSSE) assert.deepEqual(call.events, expectedEvents(it.response.body), `${where}: stream events`);
  }
}

const FILES = listCassettes();

describe('cassette loading', () => {
  test('finds both recording folders', () => {
    const sources = new Set(FILES.map((f) => path.basename(path.dirname(f))));
    assert.deepEqual([...sources].sort(), ['alexrudall__ruby-openai', 'traceloop__openllmetry']);
    assert.ok(FILES.length >= 50);
  });

  test('drive.mjs readPlan agrees with loadCassette on every request', async () => {
    const drive = await importMjs<DriveModule>('drive.mjs');
    for (const file of FILES) {
      const c = loadCassette(file);
      const plan = drive.readPlan(file);
      assert.equal(plan.length, c.interactions.length, c.shortName);
      for (const it of c.interactions) {
        const s = plan[it.index]!;
        const where = `${c.shortName} #${it.index}`;
        assert.equal(s.method, it.request.method, where);
        assert.equal(s.path, it.request.path, where);
        assert.equal(s.query.toString(), it.request.query.toString(), where);
        assert.deepEqual(s.body, it.request.body, where);
        assert.equal(s.status, it.response.status, where);
        assert.equal(s.isSSE, it.response.isSSE, where);
      }
    }
  });

  test('bodies are decoded: gzip !!binary (VCR.py), !binary base64 (Ruby VCR), plain text', () => {
    for (const file of FILES) {
      const c = loadCassette(file);
      for (const it of c.interactions) {
        const where = `${c.shortName} #${it.index}`;
        assert.equal(header(it.response.headers, 'content-encoding'), undefined, where);
        assert.equal(header(it.response.headers, 'content-length'), undefined, where);
        assert.equal(header(it.response.headers, 'openai-poll-after-ms'), undefined, where);
        if (it.response.isSSE)
          assert.match(it.response.body.toString('utf8'), /^(event|data): /, where); // chat streams: data lines only
        else if (it.response.body.length) JSON.parse(it.response.body.toString('utf8')); // valid JSON everywhere
      }
    }
    const ruby = loadCassette(FILES.find((f) => f.endsWith('assistant_file_search_step_retrieve.yml'))!);
    const step = JSON.parse(ruby.interactions[2]!.response.body.toString('utf8')) as { step_details: { tool_calls: Array<{ file_search: { results: unknown[] } }> } };
    assert.equal(step.step_details.tool_calls[0]!.file_search.results.length, 4);
  });
});

describe('replay server', () => {
  const streamingFile = FILES.find((f) => f.endsWith('test_assistant__test_streaming_new_assistant.yaml'))!;

  test('serves recorded status, headers and decoded bytes; SSE in several chunks; adds no API headers', async () => {
    const cassette = loadCassette(streamingFile);
    const server = await startReplayServer(cassette, { chunkSplit: 'random', seed: 7 });
    try {
      const raw = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; chunks: number }>((resolve, reject) => {
        const req = http.request(`${server.baseURL}/assistants`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), chunks: parts.length }));
        });
        req.on('error', reject);
        req.end(JSON.stringify(cassette.interactions[0]!.request.body));
      });
      const rec = cassette.interactions[0]!.response;
      assert.equal(raw.status, rec.status);
      assert.ok(raw.body.equals(rec.body), 'byte-identical body');
      // ...and identical to gunzipping the recorded !!binary ourselves.
      assert.equal(raw.body[0], '{'.charCodeAt(0));
      assert.equal(raw.headers['x-request-id'], header(rec.headers, 'x-request-id'));
      assert.equal(raw.headers['content-encoding'], undefined);
      assert.equal(raw.headers['transfer-encoding'], 'chunked');
      for (const h of Object.keys(raw.headers)) assert.ok(h in rec.headers || ['transfer-encoding', 'connection', 'keep-alive'].includes(h), `header ${h} was not recorded`);

      // The SSE run: read it raw and check it arrives in many pieces and reassembles exactly.
      for (let i = 1; i < 4; i++) {
        const it = cassette.interactions[i]!;
        await fetch(`${server.baseURL}${it.request.path}`, { method: it.request.method, body: it.request.rawBody, headers: { 'content-type': 'application/json' } }).then((r) => r.arrayBuffer());
      }
      const sseIt = cassette.interactions[4]!;
      assert.ok(sseIt.response.isSSE);
      const res = await fetch(`${server.baseURL}${sseIt.request.path}`, { method: 'POST', body: sseIt.request.rawBody, headers: { 'content-type': 'application/json' } });
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(res.headers.get('openai-poll-after-ms'), null);
      const parts: Uint8Array[] = [];
      for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) parts.push(part);
      assert.ok(Buffer.concat(parts).equals(sseIt.response.body));
      assert.ok(parts.length > 10, `SSE arrived in ${parts.length} chunks`);
      assert.deepEqual(server.mismatches, []);
      assert.equal(server.remaining(), 0);
    } finally {
      await server.close();
    }
  });

  test('gzip !!binary is decoded exactly', () => {
    const c = loadCassette(streamingFile);
    const it = c.interactions[0]!;
    // Re-gunzip independently from the YAML text to be sure nothing else touched the bytes.
    const yamlText = readFileSync(c.file, 'utf8').split('\n');
    const start = yamlText.findIndex((l) => l.includes('string: !!binary'));
    const b64: string[] = [];
    for (let i = start + 1; i < yamlText.length && /^\s{8}\S/.test(yamlText[i]!); i++) b64.push(yamlText[i]!.trim());
    assert.ok(gunzipSync(Buffer.from(b64.join(''), 'base64')).equals(it.response.body));
  });

  test('unmatched request: 418 with an OpenAI-style error, recorded in mismatches, not retried', async () => {
    const cassette = loadCassette(streamingFile);
    const server = await startReplayServer(cassette);
    try {
      const client = new OpenAI({ apiKey: 'sk-test-replay', baseURL: server.baseURL }); // default maxRetries (2)
      await assert.rejects(client.beta.threads.retrieve('thread_nope'), (err: unknown) => {
        assert.ok(err instanceof OpenAI.APIError);
        assert.equal(err.status, MISMATCH_STATUS);
        assert.match(err.message, /Replay mismatch/);
        return true;
      });
      assert.equal(server.requests.length, 1, 'the SDK did not retry');
      assert.equal(server.mismatches.length, 1);
      assert.match(server.mismatches[0]!, /unmatched GET \/v1\/threads\/thread_nope: no unused interaction with this method\+path; next unused is #0 POST \/assistants/);
      assert.equal(server.remaining(), cassette.interactions.length);
      server.reset();
      assert.deepEqual([server.mismatches, server.requests, server.served], [[], [], 0]);
    } finally {
      await server.close();
    }
  });

  test('loose query matching', () => {
    const rec = new URLSearchParams('include%5B%5D=step_details.tool_calls%5B*%5D.file_search.results%5B*%5D.content&order=asc');
    assert.ok(compareQuery(rec, new URLSearchParams('order=asc&include%5B%5D=step_details.tool_calls%5B%2A%5D.file_search.results%5B%2A%5D.content')).ok);
    assert.ok(compareQuery(rec, new URLSearchParams('order=asc&include[0]=step_details.tool_calls[*].file_search.results[*].content')).ok);
    const extra = compareQuery(rec, new URLSearchParams(`${rec.toString()}&api-version=1`));
    assert.ok(extra.ok);
    assert.deepEqual(extra.extra, ['api-version=1']);
    assert.equal(compareQuery(rec, new URLSearchParams('order=desc')).ok, false);
  });

  test('SSE splitters reassemble exactly and are deterministic', () => {
    const body = loadCassette(streamingFile).interactions[4]!.response.body;
    const ev = splitEvents(body);
    assert.ok(Buffer.concat(ev).equals(body));
    assert.equal(ev.length, expectedEvents(body).length + 1); // + the `event: done` block
    const r1 = splitRandom(body, 3);
    assert.ok(Buffer.concat(r1).equals(body));
    assert.deepEqual(
      r1.map((b) => b.length),
      splitRandom(body, 3).map((b) => b.length),
    );
    assert.notDeepEqual(
      r1.map((b) => b.length),
      splitRandom(body, 4).map((b) => b.length),
    );
  });
});

describe('every cassette through openai v6 via drive.mjs', () => {
  for (const file of FILES) {
    const c = loadCassette(file);
    const hasSSE = c.interactions.some((it) => it.response.isSSE);
    test(`${c.source}/${c.shortName}`, async () => {
      const { cassette, server, summary } = await replay(file, 'events');
      checkReplay(cassette, server, summary);
      if (hasSSE) {
        // Same session again with SSE bodies cut at arbitrary byte offsets.
        for (const seed of [1, 2]) {
          const again = await replay(file, 'random', seed);
          checkReplay(again.cassette, again.server, again.summary);
          assert.deepEqual(again.summary, summary);
        }
      }
    });
  }
});

// Optional: other SDK majors, when installed. test/matrix/openai<N>/node_modules/openai is picked up
// automatically; REPLAY_SDK_DIRS=<dir of an installed `openai` package>[,<dir>...] adds more.
const requireHere = createRequire(path.join(HERE, 'replay.test.ts'));
const OTHER_SDKS = [
  ...[4, 5, 7].map((n) => path.resolve(process.cwd(), `test/matrix/openai${n}/node_modules/openai`)),
  ...(process.env.REPLAY_SDK_DIRS ?? '')
    .split(',')
    .filter(Boolean)
    .map((d) => path.resolve(d)),
].filter((dir, i, all) => existsSync(path.join(dir, 'package.json')) && all.indexOf(dir) === i);

for (const dir of OTHER_SDKS) {
  const version = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const major = Number(version.split('.')[0]);
  describe(`every cassette through openai ${version} (${dir})`, () => {
    const mod = requireHere(dir) as { default?: unknown; OpenAI?: unknown };
    const sdk = { OpenAI: mod.default ?? mod.OpenAI ?? mod, major };
    for (const file of FILES) {
      const c = loadCassette(file);
      test(`${c.source}/${c.shortName}`, async () => {
        const v6 = await replay(file, 'events');
        const { cassette, server, summary } = await replay(file, 'random', 1, sdk);
        checkReplay(cassette, server, summary);
        // Same calls, statuses, events and ids as with v6 (error messages may differ between majors).
        const strip = (s: Summary) => ({ ...s, calls: s.calls.map((call) => ({ ...call, error: call.error && { name: call.error.name, status: call.error.status } })) });
        assert.deepEqual(strip(summary), strip(v6.summary));
      });
    }
  });
}
