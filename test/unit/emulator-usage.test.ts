// The emulator's usage objects have the key sets the real API sends, per API: the expected sets are read
// from the vendored recordings (test/fixtures/recordings), not typed here. Each API names its cached
// tokens differently (Assistants `prompt_token_details`, chat `prompt_tokens_details`, Responses
// `input_tokens_details`), which is what instrumentation reading usage must get right.
// Run: node --import tsx --test test/unit/emulator-usage.test.ts
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listCassettes, loadCassette } from '../replay/cassette';
import { startEmulator, type Emulator } from '../../src/testing/index';

type Json = Record<string, unknown>;
type Api = 'thread.run' | 'thread.run.step' | 'chat.completion' | 'chat.completion.chunk' | 'embeddings' | 'response';
const OBJECTS: readonly string[] = ['thread.run', 'thread.run.step', 'chat.completion', 'chat.completion.chunk', 'response'];

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Key paths of a usage object: `prompt_tokens`, `prompt_tokens_details.cached_tokens`, … */
function keyPaths(u: Json, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(u)) {
    out.push(prefix + k);
    if (isObject(v)) out.push(...keyPaths(v, `${prefix}${k}.`));
  }
  return out.sort();
}

function apiOf(o: Json, path: string): Api | null {
  if (typeof o['object'] === 'string' && OBJECTS.includes(o['object'])) return o['object'] as Api;
  if (o['object'] === 'list' && path.endsWith('/embeddings')) return 'embeddings';
  return null;
}

/** Every object with a usage in `o` (snapshots inside events included). */
function collect(o: unknown, path: string, into: Map<Api, Set<string>>): void {
  if (Array.isArray(o)) {
    for (const v of o) collect(v, path, into);
    return;
  }
  if (!isObject(o)) return;
  const api = apiOf(o, path);
  if (api && isObject(o['usage'])) {
    const set = into.get(api) ?? new Set<string>();
    for (const k of keyPaths(o['usage'])) set.add(k);
    into.set(api, set);
  }
  for (const v of Object.values(o)) collect(v, path, into);
}

function jsonBodies(text: string): unknown[] {
  if (text.trimStart().startsWith('{')) return [JSON.parse(text)];
  const out: unknown[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    try {
      out.push(JSON.parse(line.slice(5)));
    } catch {
      // `[DONE]`
    }
  }
  return out;
}

/**
 * Per API, the union of the usage keys the real API sent in the recordings (older recordings lack the
 * newer `*_details`; the union is what the API sends today). Only api.openai.com traffic: one vendored
 * chat stream was recorded against a local mock with another vendor's usage fields.
 */
function recordedUsageKeys(): Map<Api, string[]> {
  const found = new Map<Api, Set<string>>();
  for (const file of listCassettes()) {
    for (const i of loadCassette(file).interactions) {
      if (new URL(i.request.url).hostname !== 'api.openai.com') continue;
      for (const body of jsonBodies(i.response.body.toString('utf8'))) collect(body, i.request.path, found);
    }
  }
  return new Map([...found].map(([api, keys]) => [api, [...keys].sort()]));
}

describe('emulator usage shapes match the recordings', () => {
  let emulator: Emulator;
  let recorded: Map<Api, string[]>;

  async function call(method: string, path: string, body?: unknown): Promise<string> {
    const res = await fetch(emulator.baseURL + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return res.text();
  }
  async function json(method: string, path: string, body?: unknown): Promise<Json> {
    return JSON.parse(await call(method, path, body)) as Json;
  }
  /** The usage key sets the emulator sent for `path`'s answer (JSON or SSE). */
  async function emitted(method: string, path: string, body?: unknown): Promise<Map<Api, Set<string>>> {
    const found = new Map<Api, Set<string>>();
    for (const b of jsonBodies(await call(method, path, body))) collect(b, path, found);
    return found;
  }
  function assertShape(got: Map<Api, Set<string>>, api: Api, expected: Api = api): void {
    const keys = got.get(api);
    assert.ok(keys, `the emulator sent a ${api} usage`);
    assert.deepEqual([...keys].sort(), recorded.get(expected), `${api} usage keys`);
  }

  before(async () => {
    recorded = recordedUsageKeys();
    // The recordings must hold each API's usage with the cached-token detail, or the test proves nothing.
    assert.ok(recorded.get('thread.run')?.includes('prompt_token_details.cached_tokens'));
    assert.ok(recorded.get('thread.run.step')?.includes('prompt_token_details.cached_tokens'));
    assert.ok(recorded.get('chat.completion')?.includes('prompt_tokens_details.cached_tokens'));
    assert.ok(recorded.get('response')?.includes('input_tokens_details.cached_tokens'));
    assert.ok(recorded.get('embeddings')?.includes('total_tokens'));
    emulator = await startEmulator({ pollsPerStatus: 0 });
  });
  after(async () => {
    await emulator.close();
  });

  test('assistants: run and step usage, polled and streamed', async () => {
    const asst = await json('POST', '/assistants', { model: 'gpt-4o-mini' });
    const thread = await json('POST', '/threads', { messages: [{ role: 'user', content: 'What is 3x + 11 = 14 for x?' }] });
    const run = await json('POST', `/threads/${String(thread['id'])}/runs`, { assistant_id: asst['id'] });
    const polled = await emitted('GET', `/threads/${String(thread['id'])}/runs/${String(run['id'])}`);
    assertShape(polled, 'thread.run');
    assertShape(await emitted('GET', `/threads/${String(thread['id'])}/runs/${String(run['id'])}/steps`), 'thread.run.step');
    const streamed = await emitted('POST', `/threads/${String(thread['id'])}/runs`, { assistant_id: asst['id'], stream: true });
    assertShape(streamed, 'thread.run');
    assertShape(streamed, 'thread.run.step');
  });

  test('chat completions: plain, and the last chunk of a stream with include_usage', async () => {
    const messages = [{ role: 'user', content: 'Which city is the largest?' }];
    assertShape(await emitted('POST', '/chat/completions', { model: 'gpt-4o-mini', messages }), 'chat.completion');
    // No recording of the real API holds a streamed chat usage: the last chunk carries the completion's usage.
    const streamed = await emitted('POST', '/chat/completions', { model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    assertShape(streamed, 'chat.completion.chunk', 'chat.completion');
  });

  test('embeddings and responses (plain and streamed)', async () => {
    assertShape(await emitted('POST', '/embeddings', { model: 'text-embedding-3-small', input: ['a', 'b'] }), 'embeddings');
    assertShape(await emitted('POST', '/responses', { model: 'gpt-4o-mini', input: 'Hello' }), 'response');
    assertShape(await emitted('POST', '/responses', { model: 'gpt-4o-mini', input: 'Hello', stream: true }), 'response');
  });

  test('cached tokens: a repeated prefix is cached, in each API under its own name', async () => {
    const long = 'Tell me everything about the history of the largest cities of the world, in detail. '.repeat(4);
    const messages = [{ role: 'user', content: long }];
    const first = await json('POST', '/chat/completions', { model: 'gpt-4o-mini', messages });
    const again = await json('POST', '/chat/completions', { model: 'gpt-4o-mini', messages: [...messages, { role: 'assistant', content: 'Sure.' }, { role: 'user', content: 'More.' }] });
    const cachedChat = (u: Json) => ((u['usage'] as Json)['prompt_tokens_details'] as Json)['cached_tokens'] as number;
    assert.equal(cachedChat(first), 0);
    assert.ok(cachedChat(again) > 0 && cachedChat(again) % 16 === 0, `chat cached ${cachedChat(again)}`);

    const r1 = await json('POST', '/responses', { model: 'gpt-4o-mini', input: long });
    const r2 = await json('POST', '/responses', { model: 'gpt-4o-mini', input: 'More.', previous_response_id: r1['id'] });
    const cachedResponse = (r: Json) => ((r['usage'] as Json)['input_tokens_details'] as Json)['cached_tokens'] as number;
    assert.equal(cachedResponse(r1), 0);
    assert.ok(cachedResponse(r2) > 0, `responses cached ${cachedResponse(r2)}`);

    const asst = await json('POST', '/assistants', { model: 'gpt-4o-mini' });
    const thread = await json('POST', '/threads', { messages: [{ role: 'user', content: long }] });
    const tid = String(thread['id']);
    const cachedRun = (r: Json) => ((r['usage'] as Json)['prompt_token_details'] as Json)['cached_tokens'] as number;
    const run1 = await json('POST', `/threads/${tid}/runs`, { assistant_id: asst['id'] });
    const done1 = await json('GET', `/threads/${tid}/runs/${String(run1['id'])}`);
    const run2 = await json('POST', `/threads/${tid}/runs`, { assistant_id: asst['id'] });
    const done2 = await json('GET', `/threads/${tid}/runs/${String(run2['id'])}`);
    assert.equal(cachedRun(done1), 0);
    assert.ok(cachedRun(done2) > 0, `run cached ${cachedRun(done2)}`);
  });
});
