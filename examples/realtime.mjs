// A Realtime session over WebSocket: the connection is one trace (`realtime gpt-realtime`), each model
// response a `chat` span beneath it with usage and cost by modality, the function call an item of its
// response, and the app's tool work a span from the response's end to the output it sends back.
//   node --import @spanlens/instrumentation-openai/register examples/realtime.mjs
import net from 'node:net';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { connect } from './connect.cjs';

const { client } = await connect(OpenAI);
// The SDK always builds a wss: URL; the offline emulator speaks plain ws: on loopback, so there the
// socket is handed a plain TCP connection (`ws`'s createConnection option).
const base = new URL(client.baseURL);
const options = process.env.OPENAI_BASE_URL ? undefined : { createConnection: () => net.connect(Number(base.port), base.hostname) };
const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime', options }, client);
rt.on('error', (err) => console.error('realtime error:', err.message));
const next = (type) => new Promise((resolve) => rt.once(type, resolve));
const opened = new Promise((resolve) => rt.socket.on('open', resolve));
const closed = new Promise((resolve) => rt.socket.on('close', resolve));
const created = next('session.created');
await opened;
const session = (await created).session;

const tools = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'], instructions: 'Answer briefly.', tools } });
rt.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'What is the weather in Lisbon?' }] } });
let done = next('response.done');
rt.send({ type: 'response.create' });
const first = (await done).response;
const call = first.output.find((o) => o.type === 'function_call');
rt.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: call.call_id, output: JSON.stringify({ celsius: 19 }) } });
done = next('response.done');
rt.send({ type: 'response.create' });
const answer = (await done).response;
rt.close();
await closed;
const text = answer.output.flatMap((o) => (o.type === 'message' ? o.content.map((c) => c.text ?? c.transcript) : [])).join('');
console.log(JSON.stringify({ sessionId: session.id, responseIds: [first.id, answer.id], status: answer.status, text }));
