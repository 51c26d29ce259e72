// A long-lived thread that runs the assistant several times: every run is a span in the same trace
// (the thread's), whatever process or day it happens in.
//   node --import @spanlens/instrumentation-openai/register examples/multi-run.mjs
import OpenAI from 'openai';
import { connect } from './connect.cjs';

const { client } = await connect(OpenAI);
const assistant = await client.beta.assistants.create({ name: 'Billing agent', model: 'gpt-4o-mini' });
const thread = await client.beta.threads.create();
const runs = [];
for (const question of ['What is my balance?', 'And last month?', 'Thanks, can you email it?']) {
  await client.beta.threads.messages.create(thread.id, { role: 'user', content: question });
  const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 20 });
  runs.push({ id: run.id, status: run.status, tokens: run.usage?.total_tokens });
}
console.log(JSON.stringify({ threadId: thread.id, status: runs.every((r) => r.status === 'completed') ? 'completed' : 'failed', runs }));
