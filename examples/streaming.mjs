// A streamed run: the AssistantStream works exactly as without tracing; the trace gets the run span,
// the message's chat span with one event per text delta, and time to first chunk.
//   node --import @spanlens/instrumentation-openai/register examples/streaming.mjs
import OpenAI from 'openai';
import { connect } from './connect.cjs';

const { client } = await connect(OpenAI);
const assistant = await client.beta.assistants.create({ name: 'Streaming agent', model: 'gpt-4o-mini' });
const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Tell me about tracing.' }] });
const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
let text = '';
stream.on('textDelta', (delta) => {
  text += delta.value;
});
const run = await stream.finalRun();
console.log(JSON.stringify({ threadId: thread.id, runId: run.id, status: run.status, chars: text.length }));
