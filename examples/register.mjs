// An ES module app, traced without code changes:
//   node --import @spanlens/instrumentation-openai/register examples/register.mjs
// --import registers the loader hook that lets `import 'openai'` be patched, then starts the SDK.
import OpenAI from 'openai';
import { connect } from './connect.cjs';

const { client } = await connect(OpenAI);
const assistant = await client.beta.assistants.create({ name: 'Register agent', model: 'gpt-4o-mini' });
const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Hello from an ES module app' }] });
const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 20 });
console.log(JSON.stringify({ threadId: thread.id, runId: run.id, status: run.status }));
