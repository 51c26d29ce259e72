// A Live API session over WebSocket (openai >= 7.14, `LiveWS`): the connection is one trace
// (`live gpt-live-1`) with the session's audio time priced per minute, and the task it delegates to a
// Responses backend a `chat` span beneath it with its tokens and cost. Needs an app with openai >= 7.14 (this
// repository's own openai is 6: its examples test runs this one in an app dir with openai 7).
//   node --import @spanlens/instrumentation-openai/register examples/live.mjs
import OpenAI from 'openai';
import { LiveWS } from 'openai/resources/live/ws';
import { connect } from './connect.cjs';

const { client } = await connect(OpenAI);
const ws = new LiveWS(client);
ws.on('error', (err) => console.error('live error:', err.message));
const next = (type) => new Promise((resolve) => ws.once(type, resolve));
const closed = new Promise((resolve) => ws.on('close', resolve));

let event = next('session.started');
ws.send({ type: 'session.start', session: { model: 'gpt-live-1', instructions: 'Answer briefly.', delegation: { type: 'responses', responses: { model: 'gpt-5-mini' } } } });
const session = (await event).session;
// The user speaks (24 kHz PCM16; silence here), then the Live model hands the question to the backend.
const chunk = Buffer.alloc(4800).toString('base64');
for (let i = 0; i < 3; i++) ws.send({ type: 'session.input_audio.append', audio: chunk });
const delegated = next('session.delegation.created');
const usage = next('session.usage.updated');
ws.send({ type: 'response.create' });
const { delegation } = await delegated;
const { seconds } = (await usage).usage;
event = next('session.closed');
ws.send({ type: 'session.close' });
const { reason } = await event;
await closed;
console.log(JSON.stringify({ sessionId: session.id, delegationId: delegation.id, responseId: delegation.response_id, seconds, status: reason }));
