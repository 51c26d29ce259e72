// The Live API over WebSocket (openai's LiveWS) in every matrix cell whose openai has it (7.14+: the openai7
// cells), CommonJS and ES modules: the app sees the same events with and without the instrumentation, and
// the session is one tree, its delegation a chat span; a sideband (SidebandWS) attached to a session another
// client runs is traced the same way, and so is a fork (ForksWS) of a stored session; the delegations in
// full: a delegated response's function call (the app's execute_tool), a client delegation, Decisions (and
// the HTTP Decisions API, the same mapping). openai 4–6 have no Live API: declared not applicable.
import assert from 'node:assert/strict';
import path from 'node:path';
import { it } from 'node:test';
import { forEachCell, selectedCells } from './harness/run-cell';
import { assertWellFormed, childrenOf, one, type SpanJSON } from './support/spans';
import { assertSameAppView, runBothWays } from './support/socket-cells';

const scenarios = [
  { name: 'live-ws', module: path.resolve(__dirname, 'scenarios/live-ws.mjs'), args: {} },
  { name: 'live-sideband', module: path.resolve(__dirname, 'scenarios/live-sideband.mjs'), args: {} },
  { name: 'live-fork', module: path.resolve(__dirname, 'scenarios/live-fork.mjs'), args: {} },
  { name: 'live-delegations', module: path.resolve(__dirname, 'scenarios/live-delegations.mjs'), args: {} },
];

forEachCell((cell) => {
  if (cell.openai < 7) {
    it('the Live API: not applicable in this cell', { skip: `openai ${cell.openai} has no Live API (openai >= 7.14)` }, () => undefined);
    return;
  }
  const runs = runBothWays(cell, scenarios, 37);

  it('differential: the app sees the same events, ids and texts with and without the instrumentation', () => {
    const result = assertSameAppView(runs, 'live-ws');
    assert.ok((result.seen as string[]).length > 20);
    assert.equal(result.reason, 'close_requested');
    assert.equal(result.code, 1000);
  });

  it('the session is one tree: the session span with its audio time and cost, the delegation a chat span', () => {
    const { spans, result } = runs.traced().scenarios['live-ws']!;
    assertWellFormed(spans);
    const root = one(spans, 'live gpt-live-1');
    assert.equal(root.parentSpanId, undefined);
    assert.equal(root.attributes['spanlens.live.session_id'], result.session);
    assert.equal(root.attributes['spanlens.usage.audio_seconds'], result.seconds);
    assert.equal(root.attributes['spanlens.live.close_reason'], 'close_requested');
    assert.ok(Number(root.attributes['spanlens.cost.usd']) > 0);
    const [chat] = childrenOf(spans, root);
    assert.equal(chat?.name, 'chat gpt-5-mini');
    assert.equal(chat.attributes['gen_ai.response.id'], result.responseId);
    assert.equal(chat.attributes['spanlens.live.delegation.id'], result.delegation);
    assert.ok(Number(chat.attributes['spanlens.cost.usd']) > 0);
    assert.deepEqual(
      childrenOf(spans, chat).map((s) => s.name),
      ['message'],
    );
    assert.equal(spans.length, 3); // the session, the delegation's chat span, its message
  });

  it("a sideband attached to another client's session: the same events both ways, its own session span with the delegation", () => {
    const result = assertSameAppView(runs, 'live-sideband');
    assert.equal(result.reason, 'close_requested');
    const { spans } = runs.traced().scenarios['live-sideband']!;
    assertWellFormed(spans);
    const root = one(spans, 'live gpt-live-1');
    assert.equal(root.attributes['spanlens.live.connection.type'], 'sideband');
    assert.equal(root.attributes['spanlens.live.session_id'], result.session);
    assert.equal(root.attributes['spanlens.usage.audio_seconds'], result.seconds);
    assert.equal(childrenOf(spans, root)[0]?.name, 'chat gpt-5-mini');
    assert.equal(spans.length, 3);
  });

  it('a fork of a stored session: the same events both ways, a session span of its own naming the stored one, its delegation on the new backend', () => {
    const result = assertSameAppView(runs, 'live-fork');
    assert.equal(result.reason, 'close_requested');
    assert.equal(result.code, 1000);
    assert.equal(result.model, 'gpt-live-1');
    const { spans } = runs.traced().scenarios['live-fork']!;
    assertWellFormed(spans);
    const sessions = spans.filter((s) => s.name === 'live gpt-live-1');
    assert.deepEqual(
      sessions.map((s) => [s.attributes['spanlens.live.session_id'], s.attributes['spanlens.live.connection.type'], s.attributes['spanlens.live.forked_from.session_id']]),
      [
        [result.stored, undefined, undefined],
        [result.session, 'fork', result.stored],
      ],
    );
    const fork = sessions[1]!;
    assert.equal(fork.parentSpanId, undefined);
    assert.equal(fork.attributes['spanlens.usage.audio_seconds'], result.seconds);
    assert.equal(fork.attributes['spanlens.live.delegation.model'], 'gpt-5');
    assert.ok(Number(fork.attributes['spanlens.cost.usd']) > 0);
    const [chat] = childrenOf(spans, fork);
    assert.equal(chat?.name, 'chat gpt-5');
    assert.equal(chat.attributes['gen_ai.response.id'], result.responseId);
    assert.equal(chat.attributes['spanlens.live.delegation.id'], result.delegation);
    assert.equal(spans.length, 4); // the stored session, the fork, its delegation's chat span, its message
  });

  it("delegations in full: the app's tool work for a delegated function call, a client delegation, Decisions over the socket and over HTTP", () => {
    const result = assertSameAppView(runs, 'live-delegations') as Record<string, Record<string, unknown>>;
    const { spans } = runs.traced().scenarios['live-delegations']!;
    assertWellFormed(spans);
    const sessions = spans.filter((s) => s.name === 'live gpt-live-1');
    assert.deepEqual(
      sessions.map((s) => s.attributes['spanlens.live.session_id']),
      [result.tools!.id, result.answered!.id, result.decided!.id],
    );
    const [tools, answered, decided] = sessions as [SpanJSON, SpanJSON, SpanJSON];
    // (1) Two chat spans of the one delegation, the app's tool work between them.
    const toolKids = childrenOf(spans, tools);
    assert.deepEqual(
      toolKids.map((s) => s.name),
      ['chat gpt-5-mini', 'execute_tool get_weather', 'chat gpt-5-mini'],
    );
    const work = toolKids[1]!;
    assert.equal(work.attributes['gen_ai.tool.call.id'], result.tools!.callId);
    assert.equal(work.attributes['gen_ai.tool.call.arguments'], result.tools!.args);
    assert.ok(work.startMs >= toolKids[0]!.endMs && work.endMs <= toolKids[2]!.startMs);
    // (2) The client delegation, answered.
    const [client] = childrenOf(spans, answered);
    assert.equal(client?.name, 'execute_tool delegation');
    assert.equal(client.attributes['spanlens.live.delegation.id'], result.answered!.delegation);
    assert.equal(client.attributes['spanlens.live.delegation.end_reason'], undefined);
    // (3) 7 trigger firings, the delegation, the decision.create: chat spans of the Decisions model, priced.
    const decisions = childrenOf(spans, decided);
    assert.equal(decisions.length, 9);
    assert.ok(decisions.every((d) => d.name === 'chat gpt-6-luna' && d.attributes['gen_ai.response.model'] === 'gpt-6-luna' && Number(d.attributes['spanlens.cost.usd']) > 0));
    const usage = result.decided!.usage as { input_tokens: number };
    assert.equal(one(spans, 'chat gpt-6-luna', { 'spanlens.live.client_event_id': 'evt_decide_1' }).attributes['gen_ai.usage.input_tokens'], usage.input_tokens);
    // (4) The HTTP Decisions API: the same span, in the app's trace.
    const http = one(spans, 'chat gpt-6-luna', { 'url.template': '/decisions' });
    assert.equal(http.parentSpanId, undefined);
    assert.equal(http.attributes['gen_ai.usage.input_tokens'], (result.http!.usage as { input_tokens: number }).input_tokens);
  });
}, selectedCells());
