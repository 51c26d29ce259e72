// Voice agents (`@openai/agents-realtime`, installed with each cell's `@openai/agents`: 0.3.8 with openai 6,
// 0.20 with openai 7) in their matrix cells, CommonJS and ES modules, both OTel lines: a RealtimeSession whose
// greeter hands off to an expert that calls its tool, whose own work (an app span, a chat completion) nests
// under its execute_tool. The app sees the same events and history with and
// without the instrumentation, and the session is one tree with the agents around the Realtime spans.
import assert from 'node:assert/strict';
import path from 'node:path';
import { it } from 'node:test';
import { forEachCell } from './harness/run-cell';
import { agentsFor } from './harness/matrix.mjs';
import { assertWellFormed, one, outline } from './support/spans';
import { assertSameAppView, runBothWays } from './support/socket-cells';

const scenarios = [
  { name: 'voice-agents', module: path.resolve(__dirname, 'scenarios/voice-agents.mjs'), args: {} },
  { name: 'voice-approvals', module: path.resolve(__dirname, 'scenarios/voice-approvals.mjs'), args: {} },
];
const MODEL = 'gpt-realtime';

forEachCell((cell) => {
  const agents = agentsFor(cell);
  if ('notApplicable' in agents) {
    it('voice agents: not applicable in this cell', { skip: agents.notApplicable as string }, () => undefined);
    return;
  }
  const runs = runBothWays(cell, scenarios, 43);

  it('differential: the app sees the same session events and history with and without the instrumentation', () => {
    const result = assertSameAppView(runs, 'voice-agents');
    assert.equal((result.responses as string[]).filter((s) => s.startsWith('agent_end')).length, 3);
    assert.deepEqual(result.work, ['agent_handoff Greeter Expert', 'agent_tool_start Expert lookup ', 'agent_tool_end Expert lookup found I need an expert. (1) ']);
  });

  it('the session is one tree: an invoke_agent per agent, the handoff, the tool between the responses', () => {
    const { spans } = runs.traced().scenarios['voice-agents']!;
    // The app's span starts on the OTel SDK's whole-millisecond clock (up to 1 ms before ours): checked by parent below.
    assertWellFormed(spans.filter((s) => s.name !== 'app.lookup'));
    const root = one(spans, `realtime ${MODEL}`);
    assert.equal(root.parentSpanId, undefined);
    assert.equal(root.attributes['spanlens.realtime.tracing.workflow_name'], 'Voice cell');
    assert.deepEqual(outline(spans, root), [
      `realtime ${MODEL}`,
      '  invoke_agent Greeter',
      `    chat ${MODEL}`,
      '    handoff Greeter → Expert',
      '  invoke_agent Expert',
      `    chat ${MODEL}`,
      '    execute_tool lookup',
      '      app.lookup',
      '        chat gpt-4o-mini',
      `    chat ${MODEL}`,
      '      message',
    ]);
    assert.equal(one(spans, 'execute_tool lookup').attributes['gen_ai.tool.call.result'], 'found I need an expert. (1)');
    assert.equal(one(spans, 'app.lookup').parentSpanId, one(spans, 'execute_tool lookup').spanId, "the tool's own work runs in its span");
  });

  it("approvals and hosted MCP: the rejected call fails as in an agent run, the MCP call is its response's execute_tool", () => {
    const result = assertSameAppView(runs, 'voice-approvals') as { rejected: { work: string[] }; mcp: { work: string[] } };
    assert.deepEqual(result.rejected.work, [
      'tool_approval_requested Cashier function_approval',
      'agent_tool_start Cashier refund ',
      'agent_tool_end Cashier refund Tool execution was not approved. ',
    ]);
    assert.deepEqual(result.mcp.work, ['mcp_tool_call_completed Librarian ask_question']);
    const { spans } = runs.traced().scenarios['voice-approvals']!;
    assertWellFormed(spans);
    const [cashier, librarian] = spans.filter((s) => s.name === `realtime ${MODEL}`).sort((a, b) => a.startMs - b.startMs);
    assert.deepEqual(outline(spans, cashier!), [`realtime ${MODEL}`, '  invoke_agent Cashier', `    chat ${MODEL}`, '    execute_tool refund', `    chat ${MODEL}`, '      message']);
    const refund = one(spans, 'execute_tool refund');
    assert.equal(refund.attributes['spanlens.tool.approval'], 'rejected');
    assert.equal(refund.attributes['error.type'], 'ToolApprovalRejected');
    const events = one(spans, 'invoke_agent Cashier').events.map((e) => `${e.name} ${String(e.attributes['spanlens.tool.approval'] ?? '')}`.trim());
    assert.deepEqual(events, ['spanlens.tool.approval_requested', 'spanlens.tool.approval rejected']);
    assert.deepEqual(outline(spans, librarian!), [`realtime ${MODEL}`, '  invoke_agent Librarian', `    chat ${MODEL}`, '      execute_tool ask_question', `    chat ${MODEL}`, '      message']);
    assert.equal(one(spans, 'execute_tool ask_question').attributes['spanlens.mcp.server_label'], 'docs');
  });
});
