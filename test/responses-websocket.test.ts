// Responses over WebSocket (openai's ResponsesWS) in every matrix cell whose openai has it (6.23+: the
// openai6 and openai7 cells), CommonJS and ES modules: the app sees the same events with and without the
// instrumentation, and each response.create sent is the chat span the same request gives over HTTP.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, it } from 'node:test';
import { forEachCell, runCell, selectedCells, type CellRun } from './harness/run-cell';
import { assertWellFormed, childrenOf, one, type SpanJSON } from './support/spans';
import { emulatorPerRun } from './support/emulators';

const scenarios = [{ name: 'responses-ws', module: path.resolve(__dirname, 'scenarios/responses-ws.mjs'), args: {} }];
const fresh = emulatorPerRun({ seed: 29, pollAfterMs: 1 });

const chat = (spans: SpanJSON[], id: string) => one(spans, /^chat /, { 'gen_ai.response.id': id });

forEachCell(
  (cell) => {
    let traced: CellRun;
    let baseline: CellRun;
    before(async () => {
      baseline = await runCell(cell, { scenarios, baseURL: (await fresh()).baseURL, instrument: false });
      traced = await runCell(cell, { scenarios, baseURL: (await fresh()).baseURL });
    });

    it('differential: the app sees the same events, ids and texts with and without the instrumentation', () => {
      const a = traced.scenarios['responses-ws']!;
      const b = baseline.scenarios['responses-ws']!;
      assert.equal(a.error, undefined, JSON.stringify(a.error));
      assert.deepEqual(a.result, b.result);
      assert.deepEqual(a.unhandled, b.unhandled);
      assert.deepEqual(a.diag, []);
      assert.ok((a.result.seen as string[]).length > 30);
      assert.equal(a.result.rejected, 'previous_response_not_found');
    });

    it('each response.create is its chat span: the chain in one trace, the call and the tool work, the rejected create a failed call', () => {
      const { spans, result } = traced.scenarios['responses-ws']!;
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
