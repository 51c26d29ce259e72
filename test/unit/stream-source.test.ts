// Which source a streaming response is observed from (src/stream-tap.ts): the SDK's Stream when one is
// made before the body is read (every SDK helper and app loop), else the raw body (`.asResponse()`).
// The suites run both through the real SDK in every cell; this pins the choice and the outcomes.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Obj } from '../../src/util/json';
import type { SSEEvent } from '../../src/streams/sse';
import { endOpenStreams, tapStream, type StreamOutcome } from '../../src/streams/stream-tap';
import { sdkParsed } from '../../src/streams/sdk-parse';
import { collectGarbage } from '../scenarios/gc.mjs';

const SSE = 'event: thread.run.created\ndata: {"id":"run_1","object":"thread.run"}\n\nevent: done\ndata: [DONE]\n\n';

function recorder() {
  const events: SSEEvent[] = [];
  const items: Array<{ name: string; data: Obj }> = [];
  const ends: Array<{ outcome: StreamOutcome; error?: unknown }> = [];
  const sink = {
    event: (e: SSEEvent) => void events.push(e),
    item: (name: string, data: Obj) => void items.push({ name, data }),
    end: (outcome: StreamOutcome, _at: number, error?: unknown) => void ends.push({ outcome, error }),
  };
  return { sink, events, items, ends };
}

function webBody(text = SSE): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(text));
      c.close();
    },
  });
}

/** A stand-in for the SDK's Stream: an `iterator` factory and the request's controller. */
function fakeStream(values: unknown[], opts: { throwAfter?: unknown } = {}) {
  const controller = new AbortController();
  return {
    controller,
    iterator: async function* () {
      for (const v of values) yield v;
      if (opts.throwAfter !== undefined) throw opts.throwAfter;
    },
  };
}

const iterate = (stream: { iterator: () => AsyncIterator<unknown> }): AsyncIterable<unknown> => ({ [Symbol.asyncIterator]: () => stream.iterator() });
const tick = () => new Promise((r) => setImmediate(r));
/** The instrumentation a tapped stream belongs to. */
const OWNER = {};
const failOnError = (err: unknown) => assert.fail(`internal error: ${String(err)}`);

it('a Stream made before the body is read is the source: its events as the SDK yields them, the body passed on unwatched', async () => {
  const { sink, events, items, ends } = recorder();
  const body = webBody();
  const response = { body } as { body: unknown };
  tapStream(response, sink, OWNER, failOnError);
  const seen = response.body; // the SDK hands the body to its debug logger before it makes the Stream
  const values = [
    { event: 'thread.run.created', data: { id: 'run_1' } },
    { object: 'chat.completion.chunk', choices: [] },
    { type: 'response.created', response: { id: 'resp_1' } },
  ];
  const stream = fakeStream(values);
  sdkParsed({ response }, Promise.resolve(stream), (err) => assert.fail(String(err)));
  await tick();
  const got: unknown[] = [];
  for await (const v of iterate(stream)) got.push(v);
  assert.deepEqual(got, values);
  assert.ok(
    got.every((v, i) => v === values[i]),
    'the very same objects reach the app',
  );
  assert.deepEqual(
    items.map((i) => i.name),
    ['thread.run.created', 'message', 'response.created'],
  );
  assert.deepEqual(items[0]!.data, { id: 'run_1' });
  assert.equal(events.length, 0, 'no bytes decoded');
  assert.deepEqual(ends, [{ outcome: 'done', error: undefined }]);
  // The body, read now (as the SDK's iterator would), is not watched: the reader is the stream's own.
  assert.equal(response.body, seen);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  assert.equal(Object.prototype.hasOwnProperty.call(reader, 'read'), false);
  assert.equal(new TextDecoder().decode((await reader.read()).value), SSE);
  assert.equal(events.length, 0);
});

it('a body read before any Stream is the source: its bytes are decoded, a later Stream is left alone', async () => {
  const { sink, events, items, ends } = recorder();
  const response = { body: webBody() } as { body: unknown };
  tapStream(response, sink, OWNER, failOnError);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const stream = fakeStream([{ event: 'thread.run.created', data: { id: 'run_1' } }]);
  const factory = stream.iterator;
  sdkParsed({ response }, stream, (err) => assert.fail(String(err)));
  assert.equal(stream.iterator, factory, 'the Stream is not wrapped');
  while (!(await reader.read()).done);
  assert.deepEqual(
    events.map((e) => e.event),
    ['thread.run.created', 'done'],
  );
  assert.equal(items.length, 0);
  assert.deepEqual(
    ends.map((e) => e.outcome),
    ['done'],
  );
});

it("through the Stream: break and the request's abort end 'aborted', an error event is recorded before the error, anything else is an error", async () => {
  const run = async (stream: ReturnType<typeof fakeStream>, consume: (s: AsyncIterable<unknown>) => Promise<void>) => {
    const rec = recorder();
    const response = { body: webBody() } as { body: unknown };
    tapStream(response, rec.sink, OWNER, failOnError);
    sdkParsed({ response }, stream, (err) => assert.fail(String(err)));
    await consume(iterate(stream)).catch(() => undefined);
    await tick();
    return rec;
  };
  const two = () =>
    fakeStream([
      { event: 'thread.run.created', data: { id: 'run_1' } },
      { event: 'thread.run.queued', data: { id: 'run_1' } },
    ]);

  const broke = await run(two(), async (s) => {
    for await (const _ of s) break;
  });
  assert.deepEqual(
    broke.ends.map((e) => e.outcome),
    ['aborted'],
  );

  const abortable = two();
  const aborted = await run(abortable, async (s) => {
    abortable.controller.abort(); // the SDK then ends its iteration quietly
    for await (const _ of s);
  });
  assert.deepEqual(
    aborted.ends.map((e) => e.outcome),
    ['aborted'],
  );

  // The SDK throws an APIError made from an error event's data (no HTTP status).
  const apiError = Object.assign(new Error('boom'), { error: { code: 'server_error', message: 'boom' }, status: undefined });
  const failed = await run(fakeStream([], { throwAfter: apiError }), async (s) => {
    for await (const _ of s);
  });
  assert.deepEqual(failed.items, [{ name: 'error', data: { error: { code: 'server_error', message: 'boom' } } }]);
  assert.deepEqual(failed.ends, [{ outcome: 'error', error: apiError }]);

  const reset = Object.assign(new TypeError('terminated'), { cause: { code: 'ECONNRESET' } });
  const cut = await run(fakeStream([], { throwAfter: reset }), async (s) => {
    for await (const _ of s);
  });
  assert.deepEqual(cut.items, []);
  assert.deepEqual(cut.ends, [{ outcome: 'error', error: reset }]);
});

it('a parsed value that is not a Stream (or an untapped response) changes nothing', async () => {
  const { sink, events, ends } = recorder();
  const response = { body: webBody() } as { body: unknown };
  tapStream(response, sink, OWNER, failOnError);
  sdkParsed({ response }, { id: 'run_1', object: 'thread.run' }, (err) => assert.fail(String(err)));
  sdkParsed({ response: {} }, fakeStream([]), (err) => assert.fail(String(err)));
  sdkParsed(undefined, undefined, (err) => assert.fail(String(err)));
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  while (!(await reader.read()).done);
  assert.deepEqual(
    events.map((e) => e.event),
    ['thread.run.created', 'done'],
  );
  assert.deepEqual(
    ends.map((e) => e.outcome),
    ['done'],
  );
});

it('the iteration observed is the one the app reads from, not an iterator it made and left', async () => {
  const { sink, items, ends } = recorder();
  const response = { body: webBody() } as { body: unknown };
  tapStream(response, sink, OWNER, failOnError);
  const stream = fakeStream([{ event: 'thread.run.created', data: { id: 'run_1' } }]);
  sdkParsed({ response }, stream, (err) => assert.fail(String(err)));
  stream.iterator(); // made, never read
  const got: unknown[] = [];
  for await (const v of iterate(stream)) got.push(v);
  assert.equal(got.length, 1);
  assert.deepEqual(
    items.map((i) => i.name),
    ['thread.run.created'],
  );
  assert.deepEqual(
    ends.map((e) => e.outcome),
    ['done'],
  );
});

it('a stream dropped unread ends once its Response is collected, at the time its headers came', async () => {
  const ends: Array<{ outcome: StreamOutcome; at: number }> = [];
  const sink = { event: () => undefined, item: () => undefined, end: (outcome: StreamOutcome, at: number) => void ends.push({ outcome, at }) };
  const tapped = performance.timeOrigin + performance.now();
  (() => {
    const response = { body: webBody() } as { body: unknown };
    tapStream(response, sink, OWNER, failOnError);
    void response.body; // the SDK's debug logger touches it; nobody reads it
  })();
  await collectGarbage({ times: 20, until: () => ends.length > 0 });
  assert.deepEqual(
    ends.map((e) => e.outcome),
    ['abandoned'],
  );
  assert.ok(Math.abs(ends[0]!.at - tapped) < 50, 'ended when it was last seen, not when collected');
});

it('a raw body read by an app that holds only its reader outlives its Response: it ends when read, not as abandoned', async () => {
  const { sink, events, ends } = recorder();
  const reader = (() => {
    const response = { body: webBody() } as { body: unknown };
    tapStream(response, sink, OWNER, failOnError);
    return (response.body as ReadableStream<Uint8Array>).getReader();
  })();
  await collectGarbage({ times: 20, until: () => ends.length > 0 });
  assert.equal(ends.length, 0, 'the Response is gone, the body is still being read');
  while (!(await reader.read()).done);
  assert.deepEqual(
    events.map((e) => e.event),
    ['thread.run.created', 'done'],
  );
  assert.deepEqual(
    ends.map((e) => e.outcome),
    ['done'],
  );
});

it("a dropped Stream ends abandoned with its Response, even while the body lives on (openai 7's abort signal holds it)", async () => {
  const { sink, ends } = recorder();
  const bodies: unknown[] = [];
  (() => {
    const response = { body: webBody() } as { body: unknown };
    tapStream(response, sink, OWNER, failOnError);
    bodies.push(response.body); // handed out first (the SDK's debug logger), then kept by the request
    const stream = fakeStream([{ event: 'thread.run.created', data: { id: 'run_1' } }]);
    sdkParsed({ response }, stream, failOnError);
  })();
  await collectGarbage({ times: 20, until: () => ends.length > 0 });
  assert.deepEqual(
    ends.map((e) => e.outcome),
    ['abandoned'],
  );
  assert.equal((bodies[0] as ReadableStream).locked, false, 'the tap never read the body itself');
});

it("disabling the instrumentation ends its streams still open, once, and no other instrumentation's", async () => {
  const a = recorder();
  const b = recorder();
  const other = recorder();
  const openResponse = { body: webBody() } as { body: unknown };
  const doneResponse = { body: webBody() } as { body: unknown };
  const othersResponse = { body: webBody() } as { body: unknown };
  tapStream(openResponse, a.sink, OWNER, failOnError);
  tapStream(doneResponse, b.sink, OWNER, failOnError);
  tapStream(othersResponse, other.sink, {}, failOnError);
  const reader = (doneResponse.body as ReadableStream<Uint8Array>).getReader();
  while (!(await reader.read()).done);
  endOpenStreams(OWNER);
  endOpenStreams(OWNER);
  assert.deepEqual(
    a.ends.map((e) => e.outcome),
    ['shutdown'],
  );
  assert.deepEqual(
    b.ends.map((e) => e.outcome),
    ['done'],
  );
  assert.deepEqual(other.ends, []);
});

it('a sink that throws is reported, never thrown into the app, and still ends once', async () => {
  const errors: unknown[] = [];
  let ends = 0;
  const sink = {
    event: () => undefined,
    item: () => {
      throw new Error('sink bug');
    },
    end: () => {
      ends++;
      throw new Error('end bug');
    },
  };
  const response = { body: webBody() } as { body: unknown };
  tapStream(response, sink, OWNER, (err) => errors.push(err));
  const values = [
    { event: 'thread.run.created', data: { id: 'run_1' } },
    { event: 'thread.run.queued', data: { id: 'run_1' } },
  ];
  const stream = fakeStream(values);
  sdkParsed({ response }, stream, failOnError);
  const got: unknown[] = [];
  for await (const v of iterate(stream)) got.push(v);
  await tick();
  assert.deepEqual(got, values);
  assert.equal(ends, 1);
  assert.deepEqual(
    errors.map((e) => (e as Error).message),
    ['sink bug', 'sink bug', 'end bug'],
  );
});
