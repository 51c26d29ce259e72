// The streamed run of section (c): one Assistants run whose stream has N events (the 10,000),
// served on loopback. The emulator's runs are a few dozen events long, so one of its real-shaped 'answer'
// streams is taken as the template and its message deltas are repeated until the stream has N events;
// the completed message then carries the whole text, as the API's would. Ids are made unique per
// request (the thread id is the one in the URL), so every run is a new run and trace to the app.
import { createServer } from 'node:http';

/** Parses an SSE body into [{ event, data }] (the emulator's own output: `\n` line ends, one data line). */
function parse(body) {
  return body
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const [ev, data] = block.split('\n');
      return { event: ev.slice('event: '.length), data: data.slice('data: '.length) };
    });
}

async function template(emulatorURL) {
  const h = { 'content-type': 'application/json', authorization: 'Bearer bench', 'openai-beta': 'assistants=v2' };
  const post = async (p, body) => (await fetch(emulatorURL + p, { method: 'POST', headers: h, body: JSON.stringify(body) })).json();
  const a = await post('/assistants', { model: 'gpt-4o-mini', metadata: { script: 'answer' } });
  const t = await post('/threads', { messages: [{ role: 'user', content: 'Explain the plan' }] });
  const res = await fetch(`${emulatorURL}/threads/${t.id}/runs`, { method: 'POST', headers: h, body: JSON.stringify({ assistant_id: a.id, stream: true }) });
  const events = parse(await res.text());
  const idOf = (name) => JSON.parse(events.find((e) => e.event === name).data).id;
  return { events, threadId: t.id, runId: idOf('thread.run.created'), stepId: idOf('thread.run.step.created'), messageId: idOf('thread.message.created') };
}

/** A run of exactly `n` events: the template's, with its message deltas repeated. */
function build(tpl, n) {
  const deltas = tpl.events.filter((e) => e.event === 'thread.message.delta');
  const first = tpl.events.findIndex((e) => e.event === 'thread.message.delta');
  const before = tpl.events.slice(0, first);
  const after = tpl.events.slice(first + deltas.length);
  const count = n - before.length - after.length;
  if (count < deltas.length) throw new Error(`a streamed run needs at least ${before.length + after.length + deltas.length} events`);
  const out = [...before];
  let text = '';
  for (let i = 0; i < count; i++) {
    // Every delta after the first as the API sends it (no `annotations`), cycling through the template's texts.
    const d = JSON.parse(deltas[i % deltas.length].data);
    if (i > 0) delete d.delta.content[0].text.annotations;
    text += d.delta.content[0].text.value;
    out.push({ event: 'thread.message.delta', data: JSON.stringify(d) });
  }
  for (const e of after) {
    if (e.event !== 'thread.message.completed') out.push(e);
    else {
      const m = JSON.parse(e.data);
      m.content[0].text.value = text;
      out.push({ event: e.event, data: JSON.stringify(m) });
    }
  }
  return out.map((e) => `event: ${e.event}\ndata: ${e.data}\n\n`);
}

/**
 * Starts the server: POST /v1/threads/{thread}/runs answers with the N-event stream, one write per event
 * (as the emulator writes them). Returns { baseURL, close }.
 */
export async function startLongStream(emulatorURL, n) {
  const tpl = await template(emulatorURL);
  const events = build(tpl, n);
  let seq = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const m = /^\/v1\/threads\/([^/]+)\/runs$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !m) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"no route"}}');
        return;
      }
      const k = ++seq;
      const ids = [
        [tpl.threadId, m[1]],
        [tpl.runId, `run_long${k}`],
        [tpl.stepId, `step_long${k}`],
        [tpl.messageId, `msg_long${k}`],
      ];
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': `req_long${k}` });
      for (const e of events) res.write(ids.reduce((s, [from, to]) => s.replaceAll(from, to), e));
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { baseURL: `http://127.0.0.1:${server.address().port}/v1`, close: () => new Promise((r) => server.close(r)) };
}
