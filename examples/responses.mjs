// The Responses API in a Conversation, streamed: the conversation is one trace (conversationTraceId),
// each response a span with its output items beneath; the function call's span carries the output the
// app sends back.
//   node --import @spanlens/instrumentation-openai/register examples/responses.mjs
import OpenAI from 'openai';
import { connect } from './connect.cjs';

const { client } = await connect(OpenAI);
const tools = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
const conversation = await client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'I am in Lisbon.' }] });
const stream = client.responses.stream({ model: 'gpt-4o-mini', conversation: conversation.id, input: 'What is the weather here?', tools });
const first = await stream.finalResponse();
const call = first.output.find((o) => o.type === 'function_call');
const answer = await client.responses.create({
  model: 'gpt-4o-mini',
  conversation: conversation.id,
  tools,
  input: [{ type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ celsius: 19 }) }],
});
console.log(JSON.stringify({ conversationId: conversation.id, responseIds: [first.id, answer.id], status: answer.status, text: answer.output_text }));
