// Voice agent approvals and hosted MCP in a cell (as voice-agents.mjs, against the emulator's Realtime
// socket): a function tool that needs approval, which the app rejects, then a hosted MCP server's call
// (no approval needed) that the SDK follows with a response of its own. Returns what the app saw, ids
// taken out, so a run without the instrumentation must return exactly the same.
import { talk } from './voice-agents.mjs';

const MODEL = 'gpt-realtime';
const EVENTS = ['agent_start', 'agent_end', 'agent_tool_start', 'agent_tool_end', 'tool_approval_requested', 'mcp_tool_call_completed', 'error'];

async function run(ctx, rt, agent, ends, onApproval) {
  const session = new rt.RealtimeSession(agent, { model: MODEL, config: { outputModalities: ['text'] } });
  const seen = [];
  for (const name of EVENTS)
    session.on(name, (...args) => {
      const detail = args.slice(1).map((a) => a?.name ?? a?.type ?? (typeof a === 'string' ? a : a?.error?.message));
      seen.push([name, ...detail].join(' '));
      if (name === 'tool_approval_requested') onApproval(session, args[2]);
    });
  const history = await talk(ctx, session, seen, 'Refund order 7.', ends);
  const response = (s) => s.startsWith('agent_start') || s.startsWith('agent_end');
  return { responses: seen.filter(response), work: seen.filter((s) => !response(s)), history };
}

export default async function voiceApprovals(ctx) {
  const { mod: rt } = await ctx.loadAppModule('@openai/agents-realtime');
  const { mod: core } = await ctx.loadAppModule('@openai/agents-core');
  const refund = rt.tool({
    name: 'refund',
    description: 'Refunds an order.',
    parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'], additionalProperties: false },
    strict: true,
    needsApproval: true,
    execute: async ({ q }) => `refunded ${q}`,
  });
  const rejected = await run(
    ctx,
    rt,
    new rt.RealtimeAgent({ name: 'Cashier', instructions: '[emulator:call=refund]', tools: [refund] }),
    2,
    (session, request) => void session.reject(request.approvalItem),
  );
  const docs = core.hostedMcpTool({ serverLabel: 'docs', serverUrl: 'https://mcp.example.com/sse', requireApproval: 'never' });
  const mcp = await run(ctx, rt, new rt.RealtimeAgent({ name: 'Librarian', instructions: 'Ask the docs. [emulator:script=mcp]', tools: [docs] }), 2, () => undefined);
  return { rejected, mcp };
}
