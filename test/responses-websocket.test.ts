// Responses over WebSocket (openai's ResponsesWS) in every matrix cell whose openai has it (6.23+: the
// openai6 and openai7 cells), CommonJS and ES modules: the app sees the same events with and without the
// instrumentation, and each response.create sent is the chat span the same request gives over HTTP.
import assert from 'node:assert/strict';
import path from 'node:path';
import { it } from 'node:test';
import { forEachCell, selectedCells } from './harness/run-cell';
import { assertWellFormed, childrenOf, one, type SpanJSON } from './support/spans';
import { assertSameAppView, runBothWays } from './support/socket-cells';

const scenarios = [{ name: 'responses-ws', module: path.resolve(__dirname, 'scenarios/responses-ws.mjs'), args: {} }];

const chat = (spans: SpanJSON[], id: string) => one(spans, /^chat /, { 'gen_ai.response.id': id });

forEachCell(
  (cell) => {
    const runs = runBothWays(cell, scenarios, 29);

    it('differential: the app sees the same events, ids and texts with and without the instrumentation', () => {
      const result = assertSameAppView(runs, 'responses-ws');
      assert.ok((result.seen as string[]).length > 30);
      assert.equal(result.rejected, 'previous_response_not_found');
    });

    it('each response.create is its chat span: the chain in one trace, the call and the tool work, the rejected create a failed call', () => {
      const { spans, result } = runs.traced().scenarios['responses-ws']!;
      assertWellFormed(spans);
      const [first, asked, answered] = (result.ids as string[]).map((id) => chat(spans, id));
      assert.equal(first!.attributes['gen_ai.request.stream'], true);
      assert.equal(first!.status.code, 'UNSET');
      assert.deepEqual(
        childrenOf(spans, first!).map((s) => s.name),
        ['message'],
      );
      assert.equal(answered!.traceId, asked!.traceId);
      assert.equal(answered!.attributes['gen_ai.conversation.id'], asked!.attributes['gen_ai.response.id']);
      assert.equal(one(childrenOf(spans, asked!), 'execute_tool get_weather').attributes['gen_ai.tool.call.id'], result.callId);
      const work = spans.filter((s) => s.name === 'execute_tool get_weather' && s.parentSpanId !== asked!.spanId);
      assert.equal(work.length, 1);
      assert.equal(work[0]!.attributes['gen_ai.tool.call.result'], 'Sunny, 21°C');
      const rejected = one(spans, /^chat /, { 'error.type': 'previous_response_not_found' });
      assert.equal(rejected.attributes['gen_ai.response.id'], undefined);
      assert.equal(rejected.status.code, 'ERROR');
      assert.equal(rejected.attributes['error.type'], 'previous_response_not_found');
    });
  },
  selectedCells().filter((cell) => cell.openai >= 6),
);
