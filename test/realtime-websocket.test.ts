// Realtime over WebSocket (openai's OpenAIRealtimeWS) in every matrix cell: openai 5–7 from
// `openai/realtime/ws`, openai 4 from `openai/beta/realtime/ws`, CommonJS and ES modules, both OTel lines.
// The app sees the same events with and without the instrumentation, and the session is one tree.
import assert from 'node:assert/strict';
import path from 'node:path';
import { it } from 'node:test';
import { forEachCell } from './harness/run-cell';
import { assertWellFormed, childrenOf, one } from './support/spans';
import { assertSameAppView, runBothWays } from './support/socket-cells';

const scenarios = [{ name: 'realtime-ws', module: path.resolve(__dirname, 'scenarios/realtime-ws.mjs'), args: {} }];
/** openai 7 opens a socket by call id or transcription intent too. */
const intents = { name: 'realtime-intents', module: path.resolve(__dirname, 'scenarios/realtime-intents.mjs'), args: {} };

forEachCell((cell) => {
  const runs = runBothWays(cell, cell.openai >= 7 ? [...scenarios, intents] : scenarios, 31);

  it('differential: the app sees the same events, ids and texts with and without the instrumentation', () => {
    const result = assertSameAppView(runs, 'realtime-ws');
    assert.ok((result.seen as string[]).length > 20);
    assert.equal(result.error, 'invalid_value');
    assert.equal(result.code, 1000);
  });

  it('the session is one tree: two responses, the call and the tool work, the failed create', () => {
    const { spans, result } = runs.traced().scenarios['realtime-ws']!;
    assertWellFormed(spans);
    const root = one(spans, 'realtime gpt-realtime');
    assert.equal(root.parentSpanId, undefined);
    assert.equal(root.attributes['spanlens.realtime.session_id'], result.session);
    assert.deepEqual(root.attributes['spanlens.realtime.tools'], ['get_weather']);
    assert.equal(root.attributes['spanlens.realtime.close_code'], 1000);
    assert.equal(root.attributes['spanlens.session.response_count'], 2);
    const [asked, answered] = (result.ids as string[]).map((id) => one(spans, 'chat gpt-realtime', { 'gen_ai.response.id': id }));
    for (const chat of [asked!, answered!]) {
      assert.equal(chat.parentSpanId, root.spanId);
      assert.ok(Number(chat.attributes['spanlens.cost.usd']) > 0);
    }
    assert.equal(one(childrenOf(spans, asked!), 'execute_tool get_weather').attributes['gen_ai.tool.call.id'], result.callId);
    const work = childrenOf(spans, root).filter((s) => s.name === 'execute_tool get_weather');
    assert.equal(work.length, 1);
    assert.equal(work[0]!.attributes['gen_ai.tool.call.result'], 'Sunny, 21°C');
    const failed = spans.filter((s) => s.name === 'chat gpt-realtime' && s.status.code === 'ERROR');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.attributes['error.type'], 'invalid_value');
    assert.deepEqual(
      childrenOf(spans, answered!).map((s) => s.name),
      ['message'],
    );
    assert.equal(spans.length, 7); // the session, 3 chat spans, the call item, the tool work, the answer's message
  });

  if (cell.openai < 7) {
    it('sideband and transcription sockets: not applicable in this cell', { skip: `openai ${cell.openai} opens Realtime sockets by model (callID and intent: openai 7)` }, () => undefined);
    return;
  }

  it('sideband (callID) and transcription (intent) sockets: the same app view, a session each', () => {
    const result = assertSameAppView(runs, 'realtime-intents') as { sideband: Record<string, unknown>; transcription: Record<string, unknown> };
    assert.equal(result.transcription.type, 'transcription');
    assert.ok(!(result.transcription.seen as string[]).some((t) => t.startsWith('response.')));
    const { spans } = runs.traced().scenarios['realtime-intents']!;
    assertWellFormed(spans);
    const side = one(spans, 'realtime gpt-realtime');
    assert.equal(side.attributes['spanlens.realtime.call_id'], 'rtc_cell_1');
    assert.equal(side.attributes['spanlens.realtime.session_id'], result.sideband.session);
    assert.equal(one(childrenOf(spans, side), 'chat gpt-realtime').attributes['gen_ai.response.id'], result.sideband.response);
    const tr = one(spans, 'realtime transcription');
    assert.equal(tr.attributes['spanlens.realtime.session_type'], 'transcription');
    assert.equal(tr.attributes['spanlens.realtime.session_id'], result.transcription.session);
    const x = one(childrenOf(spans, tr), 'transcription gpt-4o-mini-transcribe');
    assert.equal(x.attributes['openai.item.id'], result.transcription.item);
    assert.ok(Number(x.attributes['spanlens.cost.usd']) > 0);
    assert.equal(tr.attributes['spanlens.session.cost.usd'], x.attributes['spanlens.cost.usd']);
    assert.equal(spans.length, 5); // the sideband session, its chat and message, the transcription session and its transcription
  });
});
