'use strict';
// The app of test/e2e/export-faults.test.ts, started with `node -r @spanlens/instrumentation-openai/register`
// (NodeSDK, BatchSpanProcessor, OTLP/HTTP exporter to OTEL_EXPORTER_OTLP_ENDPOINT). The parent drives it
// over IPC: { phase, rounds } runs that many assistant turns (thread, message, createAndPoll) and answers
// with each round's latency and thread id; { exit } ends it the way a script ends (flush on beforeExit).
// It records unhandled rejections and the OTel diag messages (where export failures are reported).
const api = require('@opentelemetry/api');
const OpenAI = require('openai');
const { startEmulator } = require('@spanlens/instrumentation-openai/testing');

const diag = [];
const record =
  (level) =>
  (...msg) =>
    diag.push({
      level,
      message: msg
        .map((m) => (m instanceof Error ? `${m.name}: ${m.message}` : typeof m === 'string' ? m : JSON.stringify(m)))
        .join(' ')
        .slice(0, 500),
    });
const noop = () => undefined;
api.diag.setLogger({ error: record('ERROR'), warn: record('WARN'), info: noop, debug: noop, verbose: noop }, { logLevel: api.DiagLogLevel.WARN, suppressOverrideMessage: true });
const unhandled = [];
process.on('unhandledRejection', (r) => unhandled.push(String(r && r.stack ? r.stack : r)));
process.on('uncaughtException', (e) => unhandled.push(String(e && e.stack ? e.stack : e)));

async function main() {
  const emulator = await startEmulator({ unref: true });
  const client = new OpenAI({
    apiKey: 'sk-spanlens-test-SECRET-0123456789',
    organization: 'org-spanlensSECRETorg0123',
    project: 'proj_spanlensSECRETproj0123',
    baseURL: emulator.baseURL,
    maxRetries: 0,
  });
  const assistant = await client.beta.assistants.create({ name: 'Export fault agent', model: 'gpt-4o-mini' });
  process.on('message', async (msg) => {
    if (msg.exit) {
      process.send({ final: true, diag, unhandled }, () => {
        emulator.close().then(() => process.disconnect());
      });
      return;
    }
    const rounds = [];
    for (let i = 0; i < msg.rounds; i++) {
      const t0 = performance.now();
      const thread = await client.beta.threads.create();
      await client.beta.threads.messages.create(thread.id, { role: 'user', content: `round ${i} of ${msg.phase}` });
      const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: assistant.id }, { pollIntervalMs: 5 });
      rounds.push({ threadId: thread.id, status: run.status, ms: performance.now() - t0 });
    }
    process.send({ phase: msg.phase, rounds, diag: diag.length, unhandled: unhandled.length });
  });
  process.send({ ready: true });
}
main().catch((err) => {
  unhandled.push(String(err.stack));
  process.send?.({ failed: String(err.stack) });
});
