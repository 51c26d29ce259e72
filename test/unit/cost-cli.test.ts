// `spanlens cost` against hand-written traces: an OTLP JSON lines file as the collector's file exporter writes
// it, and a local HTTP server answering like Jaeger's query API and Tempo's trace API. Expected figures are
// literals derived by hand in the comments from the prices in src/cost/price-table.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildCostReport } from '../../src/cli/cost-report';
import { main } from '../../src/cli/main';
import type { TraceSpan } from '../../src/cli/trace-span';
import { Pricing } from '../../src/cost';

const root = path.join(__dirname, '../..');
const fixture = (name: string) => path.join(__dirname, '../fixtures/cost', name);
const DEMO_FILE = fixture('thread-cost-demo.otlp.jsonl');
const DEMO_TRACE = 'c44fe2c6f53660368e227675d7c8cf56'; // threadTraceId('thread_cost_demo')
const SMALL_TRACE = '7f1bb4d9ca0eafbd932dc01607df9d85'; // threadTraceId('thread_small')

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env });
  return { code, stdout, stderr };
}

const squash = (text: string) => text.replace(/ +/g, ' ');

const tmp = mkdtempSync(path.join(tmpdir(), 'spanlens-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// thread_cost_demo, in thread order (run start times; the file lists them out of order):
//   run_1  answers msg_1         gpt-4o-mini 381/0/88, recorded 0.00010995 (381 x 0.15 + 88 x 0.60 = 109.95 per 1M)
//          + a second span of run_1 from another process (observed by a poll, no cost): the same run, counted once
//   run_2  answers msg_2, msg_3  gpt-4o 2000 in (1024 cached) / 300 out, no cost on the span -> estimated:
//          976 x 2.50 = 2440; 1024 x 1.25 = 1280; 300 x 10 = 3000; 6720 per 1M = 0.00672, split 0.00336 + 0.00336
//   run_3  answers msg_4         failed, gpt-4-1106-preview 663/0/53, recorded 0.00822 (6630 + 1590 per 1M)
//   run_4  answers nothing new   a retry: gpt-4 27/0/16, recorded 0.00177 (810 + 960 per 1M), charged to msg_4
//   run_5  answers msg_5         ft:gpt-4o-mini-…:acme::abc123 100/0/20, no cost -> estimated at genai-prices'
//          fine-tuned gpt-4o-mini rate ($0.30 / $1.20, OpenAI's fine-tuning inference price): 30 + 24 = 54 per 1M
// running totals: 0.00010995, 0.00346995, 0.00682995, 0.00682995 + 0.00999 = 0.01681995, + 0.000054 = 0.01687395
// tokens: in 381 + 2000 + 663 + 27 + 100 = 3171; cached 1024; out 88 + 300 + 53 + 16 + 20 = 477
// per user message: 0.01687395 / 5 = 0.00337479
// (The spans' own spanlens.thread.cost.usd say at most 0.00999: each process only saw its own runs.)
const DEMO_TEXT = `Thread thread_cost_demo · trace ${DEMO_TRACE} · 5 runs · 5 user messages

#1 "What is the capital of France?"
 run_1 completed gpt-4o-mini $0.00010995 in 381 (cached 0) out 88
 = in 381 (cached 0) out 88 · $0.00010995 · running total $0.00010995

#2 "Compare the populations of Paris, Berlin and Madrid, and te…"
 run_2 completed gpt-4o $0.00336 in 2,000 (cached 1,024) out 300 · 1/2 of $0.00672 · estimated
 = in 1,000 (cached 512) out 150 · $0.00336 · running total $0.00346995

#3 "Also: which one has the most museums?"
 run_2 completed gpt-4o $0.00336 in 2,000 (cached 1,024) out 300 · 1/2 of $0.00672 · estimated
 = in 1,000 (cached 512) out 150 · $0.00336 · running total $0.00682995

#4 msg_4 (text not captured)
 run_3 failed gpt-4-1106-preview $0.00822 in 663 (cached 0) out 53
 run_4 completed gpt-4 $0.00177 in 27 (cached 0) out 16 · no new message (retry)
 = in 690 (cached 0) out 69 · $0.00999 · running total $0.01681995

#5 "Summarize it with our fine-tuned model"
 run_5 completed ft:gpt-4o-mini-2024-07-18:acme::abc123 $0.000054 in 100 (cached 0) out 20 · estimated
 = in 100 (cached 0) out 20 · $0.000054 · running total $0.01687395

Thread totals
 runs 5 (2 estimated from tokens)
 user messages 5
 tokens in 3,171 (cached 1,024) out 477
 cost $0.01687395
 per user message $0.00337479

`;

describe('spanlens cost --otlp-file', () => {
  it('reports per user message in thread order, with running totals and thread totals', async () => {
    const { code, stdout, stderr } = await run(['cost', 'thread_cost_demo', '--otlp-file', DEMO_FILE]);
    assert.equal(code, 0, stderr);
    assert.ok(squash(stdout).startsWith(DEMO_TEXT), `got:\n${stdout}`);
    assert.match(stdout, /estimates priced with the genai-prices@\S+ data with the bundled corrections, then the bundled table: OpenAI list prices .*checked \d{4}-\d{2}-\d{2}/);
    assert.equal(stderr, '');
  });

  it('--json prints the same report as JSON', async () => {
    const { code, stdout } = await run(['cost', 'thread_cost_demo', '--otlp-file', DEMO_FILE, '--json']);
    assert.equal(code, 0);
    const report = JSON.parse(stdout);
    assert.equal(report.threadId, 'thread_cost_demo');
    assert.equal(report.traceId, DEMO_TRACE);
    assert.deepEqual(
      report.messages.map((m: { id: string; costUsd: number; runningTotalUsd: number; runs: { runId: string }[] }) => [m.id, m.costUsd, m.runningTotalUsd, m.runs.map((r) => r.runId).join(',')]),
      [
        ['msg_1', 0.00010995, 0.00010995, 'run_1'],
        ['msg_2', 0.00336, 0.00346995, 'run_2'],
        ['msg_3', 0.00336, 0.00682995, 'run_2'],
        ['msg_4', 0.00999, 0.01681995, 'run_3,run_4'],
        ['msg_5', 0.000054, 0.01687395, 'run_5'],
      ],
    );
    assert.equal(report.messages[0].text, 'What is the capital of France?');
    assert.equal(report.messages[1].text, 'Compare the populations of Paris, Berlin and Madrid, and tell me which of them grew fastest since 2000.');
    assert.equal(report.messages[3].text, null, 'msg_4 was traced with content capture off');
    assert.deepEqual(report.messages[1].runs[0], {
      runId: 'run_2',
      status: 'completed',
      model: 'gpt-4o',
      answersNewMessages: true,
      sharedBy: 2,
      runTokens: { input: 2000, cachedInput: 1024, output: 300 },
      runCostUsd: 0.00672,
      costSource: 'estimated',
      tokens: { input: 1000, cachedInput: 512, output: 150 },
      costUsd: 0.00336,
    });
    assert.equal(report.messages[0].runs[0].costSource, 'recorded', 'the span with a recorded cost wins over the poll-observed copy');
    assert.equal(report.messages[3].runs[1].answersNewMessages, false);
    assert.equal(report.messages[4].runs[0].costUsd, 0.000054);
    assert.deepEqual(report.totals, {
      runs: 5,
      userMessages: 5,
      tokens: { input: 3171, cachedInput: 1024, output: 477 },
      costUsd: 0.01687395,
      costPerUserMessageUsd: 0.00337479,
      estimatedRuns: 2,
      unpricedRuns: 0,
      complete: true,
      unpricedModels: [],
    });
  });

  it('prices runs with SPANLENS_PRICING_FILE', async () => {
    const prices = path.join(tmp, 'prices.json');
    writeFileSync(prices, JSON.stringify({ models: { 'ft:gpt-4o-mini-2024-07-18:acme::abc123': { input: 0.3, cachedInput: 0.15, output: 1.2 } } }));
    const { code, stdout, stderr } = await run(['cost', 'thread_cost_demo', '--otlp-file', DEMO_FILE, '--json'], { SPANLENS_PRICING_FILE: prices });
    assert.equal(code, 0);
    assert.equal(stderr, '');
    const { totals, messages, prices: sources } = JSON.parse(stdout);
    // run_5: 100 x 0.30 = 30; 20 x 1.20 = 24; 54 per 1M = 0.000054. Total 0.01681995 + 0.000054 = 0.01687395,
    // per user message 0.01687395 / 5 = 0.00337479
    assert.equal(messages[4].costUsd, 0.000054);
    assert.equal(totals.costUsd, 0.01687395);
    assert.equal(totals.costPerUserMessageUsd, 0.00337479);
    assert.equal(totals.complete, true);
    assert.equal(totals.estimatedRuns, 2);
    assert.deepEqual(sources.slice(1), [`file: ${prices}`]);
  });

  it('a bad pricing file is reported on stderr and the bundled prices are used', async () => {
    const prices = path.join(tmp, 'bad-prices.json');
    writeFileSync(prices, '{"models": {"x": {"input": "cheap"}}}');
    const { code, stdout, stderr } = await run(['cost', 'thread_cost_demo', '--otlp-file', DEMO_FILE, '--json'], { SPANLENS_PRICING_FILE: prices });
    assert.equal(code, 0);
    assert.match(stderr, /pricing file .*bad-prices\.json ignored, using the bundled prices: models\["x"\]/);
    assert.equal(JSON.parse(stdout).totals.costUsd, 0.01687395);
  });

  it('--models lists the models the trace names, where each price comes from, and the unpriced ones', async () => {
    const prices = path.join(tmp, 'models-prices.json');
    writeFileSync(prices, JSON.stringify({ models: { 'gpt-4': { input: 25, output: 50 } } }));
    const { code, stdout, stderr } = await run(['cost', 'thread_cost_demo', '--otlp-file', DEMO_FILE, '--models'], { SPANLENS_PRICING_FILE: prices });
    assert.equal(code, 0, stderr);
    const line = (model: string) => stdout.split('\n').find((l) => l.startsWith(`${model} |`)) ?? '';
    assert.match(line('gpt-4o-mini'), /^gpt-4o-mini \| 2 \| genai-prices@\S+ \| gpt-4o-mini \| 0\.15 \/ 0\.075 \/ 0\.6 \| -$/);
    assert.match(line('gpt-4-1106-preview'), /\| genai-prices@\S+ \| gpt-4-turbo \| 10 \/ - \/ 30 \|/);
    assert.match(line('gpt-4'), /^gpt-4 \| 1 \| override \| gpt-4 \| 25 \/ - \/ 50 \|/);
    assert.match(stdout, /Every model is priced\./);

    const json = await run(['cost', 'thread_cost_demo', '--otlp-file', DEMO_FILE, '--models', '--json'], { SPANLENS_PRICING_FILE: path.join(tmp, 'none.json') });
    const models = JSON.parse(json.stdout).models as { model: string; source?: string }[];
    assert.deepEqual(
      models.map((m) => m.model),
      ['ft:gpt-4o-mini-2024-07-18:acme::abc123', 'gpt-4', 'gpt-4-1106-preview', 'gpt-4o', 'gpt-4o-mini'],
    );
  });

  it('a thread whose first run answers no user message, a run without usage, a retry', async () => {
    // tempo-v2-small.json holds one pretty-printed document (accepted as a file too).
    // run_s1: gpt-4.1-2025-04-14 -> gpt-4.1, 5000 in (4000 cached) / 200 out, estimated:
    //   1000 x 2 = 2000; 4000 x 0.50 = 2000; 200 x 8 = 1600; 5600 per 1M = 0.0056, no user message yet
    // run_s2: cancelled, no usage -> 0, answers msg_a; run_s3: retry, recorded 0.00006 -> msg_a
    // total 0.00566 over 1 user message
    const { code, stdout } = await run(['cost', 'thread_small', '--otlp-file', fixture('tempo-v2-small.json'), '--json']);
    assert.equal(code, 0);
    const report = JSON.parse(stdout);
    assert.deepEqual(
      report.messages.map((m: { id: string | null; costUsd: number; runningTotalUsd: number; runs: { runId: string; costSource: string }[] }) => [
        m.id,
        m.costUsd,
        m.runningTotalUsd,
        m.runs.map((r) => `${r.runId}:${r.costSource}`).join(','),
      ]),
      [
        [null, 0.0056, 0.0056, 'run_s1:estimated'],
        ['msg_a', 0.00006, 0.00566, 'run_s2:no_usage,run_s3:recorded'],
      ],
    );
    assert.equal(report.totals.costUsd, 0.00566);
    assert.equal(report.totals.userMessages, 1);
    assert.equal(report.totals.costPerUserMessageUsd, 0.00566);
    const text = await run(['cost', 'thread_small', '--otlp-file', fixture('tempo-v2-small.json')]);
    assert.match(text.stdout, /^\(runs before any user message\)$/m);
    assert.match(squash(text.stdout), /run_s2 cancelled gpt-4\.1 \$0\.00 in 0 \(cached 0\) out 0 · no usage reported/);
  });
});

describe('the report', () => {
  const span = (runId: string, startUs: number, attrs: TraceSpan['attributes']): TraceSpan => ({
    traceId: DEMO_TRACE,
    spanId: `${startUs}`.padStart(16, '0'),
    name: 'invoke_agent x',
    startUs,
    durationUs: 1,
    attributes: { 'spanlens.kind': 'agent_step', 'openai.run.id': runId, ...attrs },
  });

  it('splits a run evenly across its messages, remainders to the first, so shares add up to the run', () => {
    // 0.00000001 USD (10 nano-dollars) over 3 messages: 4 + 3 + 3 nano-dollars; 10 output tokens: 4 + 3 + 3
    const report = buildCostReport(
      't',
      DEMO_TRACE,
      [span('run_a', 1, { 'spanlens.cost.usd': 0.00000001, 'gen_ai.usage.input_tokens': 0, 'gen_ai.usage.output_tokens': 10, 'spanlens.user_message.ids': ['m1', 'm2', 'm3'] })],
      new Pricing({ env: {} }),
    );
    assert.deepEqual(
      report?.messages.map((m) => [m.id, m.costNanos, m.tokens.output]),
      [
        ['m1', 4, 4],
        ['m2', 3, 3],
        ['m3', 3, 3],
      ],
    );
    assert.equal(report?.totals.costNanos, 10);
  });

  it('several runs for one message add up; a message id seen again joins its first entry', () => {
    // gpt-4o-mini 1000 out each: 1000 x 0.60 = 600 per 1M = 0.0006 per run, estimated; three runs, one message
    const usage = { 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.usage.input_tokens': 0, 'gen_ai.usage.output_tokens': 1000 };
    const report = buildCostReport(
      't',
      DEMO_TRACE,
      [
        span('run_c', 3, { ...usage, 'spanlens.user_message.ids': ['m1'] }),
        span('run_a', 1, { ...usage, 'spanlens.user_message.ids': ['m1'] }),
        span('run_b', 2, { ...usage }), // no attribute at all: attributed like an empty list
      ],
      new Pricing({ env: {} }),
    );
    assert.equal(report?.messages.length, 1);
    assert.deepEqual(
      report?.messages[0].runs.map((r) => r.run.runId),
      ['run_a', 'run_b', 'run_c'],
    );
    assert.equal(report?.messages[0].costNanos, 1_800_000);
    assert.equal(report?.totals.estimatedRuns, 3);
  });

  it('a run without a model but with tokens is unpriced, not guessed', () => {
    const report = buildCostReport('t', DEMO_TRACE, [span('run_a', 1, { 'gen_ai.usage.input_tokens': 5, 'spanlens.user_message.ids': ['m1'] })], new Pricing({ env: {} }));
    assert.equal(report?.totals.unpricedRuns, 1);
    assert.deepEqual(report?.unpricedModels, ['(no model)']);
  });

  it('reads array attributes rendered as JSON strings; a cut-off one counts as absent', () => {
    const pricing = new Pricing({ env: {} });
    const report = buildCostReport('t', DEMO_TRACE, [span('run_a', 1, { 'spanlens.user_message.ids': '["m1","m2"]', 'spanlens.user_message.texts': '["first","sec' })], pricing);
    assert.deepEqual(
      report?.messages.map((m) => [m.id, m.text]),
      [
        ['m1', undefined],
        ['m2', undefined],
      ],
    );
  });

  it('no run spans: no report', () => {
    const chat = { ...span('x', 1, {}), attributes: { 'spanlens.kind': 'llm' } };
    assert.equal(buildCostReport('t', DEMO_TRACE, [chat], new Pricing({ env: {} })), undefined);
  });
});

describe('Jaeger and Tempo', () => {
  type Route = { status: number; body: string; type?: string };
  const routes = new Map<string, Route>();
  const requests: IncomingMessage[] = [];
  let server: Server;
  let base: string;

  before(async () => {
    server = createServer((req, res) => {
      requests.push(req);
      const route = routes.get(req.url ?? '') ?? { status: 404, body: '' };
      res.writeHead(route.status, { 'content-type': route.type ?? 'application/json' });
      res.end(route.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const read = (name: string) => readFileSync(fixture(name), 'utf8');
    routes.set(`/jaeger/api/traces/${DEMO_TRACE}`, { status: 200, body: read('jaeger-trace.json') });
    routes.set(`/tempo/api/traces/${DEMO_TRACE}`, { status: 200, body: read('tempo-trace.json') });
    routes.set(`/tempo/api/traces/${SMALL_TRACE}`, { status: 200, body: read('tempo-v2-small.json') });
    // What Jaeger's query service answers for a trace it does not have
    routes.set('/jaeger/api/traces/08a5425145ae10d085298c0e4cf1f756', {
      status: 404,
      body: '{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}',
    });
    routes.set(`/broken/api/traces/${DEMO_TRACE}`, { status: 500, body: 'upstream storage error', type: 'text/plain' });
    routes.set(`/html/api/traces/${DEMO_TRACE}`, { status: 200, body: '<html>login</html>', type: 'text/html' });
    routes.set(`/odd/api/traces/${DEMO_TRACE}`, { status: 200, body: '{"traces": []}' });
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function demoJson(args: string[]): Promise<unknown> {
    const { code, stdout, stderr } = await run(['cost', 'thread_cost_demo', ...args, '--json']);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout);
  }

  it('Jaeger (typed tags, arrays as JSON strings) gives the same report as the OTLP file', async () => {
    const fromFile = await demoJson(['--otlp-file', DEMO_FILE]);
    assert.deepEqual(await demoJson(['--jaeger', `${base}/jaeger/`]), fromFile);
    const req = requests.at(-1);
    assert.equal(req?.url, `/jaeger/api/traces/${DEMO_TRACE}`);
    assert.equal(req?.headers.accept, 'application/json');
  });

  it('Tempo (protobuf JSON: batches, base64 ids) gives the same report as the OTLP file', async () => {
    const fromFile = await demoJson(['--otlp-file', DEMO_FILE]);
    assert.deepEqual(await demoJson(['--tempo', `${base}/tempo`]), fromFile);
  });

  it('Tempo {trace: {resourceSpans}} with instrumentationLibrarySpans', async () => {
    const { code, stdout } = await run(['cost', 'thread_small', '--tempo', `${base}/tempo`, '--json']);
    assert.equal(code, 0);
    assert.equal(JSON.parse(stdout).totals.costUsd, 0.00566);
  });

  it('an unknown thread: exit 3, naming the thread, its trace id and the backend', async () => {
    const jaeger = await run(['cost', 'thread_missing', '--jaeger', `${base}/jaeger`]);
    assert.equal(jaeger.code, 3);
    assert.equal(jaeger.stderr, `spanlens: no trace for thread thread_missing (trace id 08a5425145ae10d085298c0e4cf1f756) in Jaeger at ${base}/jaeger\n`);
    const tempo = await run(['cost', 'thread_missing', '--tempo', `${base}/tempo`]);
    assert.equal(tempo.code, 3);
    assert.match(tempo.stderr, /no trace for thread thread_missing .* in Tempo at /);
    assert.equal(jaeger.stdout + tempo.stdout, '');
  });

  it('an unreachable backend: exit 4, naming the URL and the error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { code, stderr } = await run(['cost', 'thread_cost_demo', '--jaeger', `http://127.0.0.1:${port}`]);
    assert.equal(code, 4);
    assert.match(stderr, new RegExp(`^spanlens: cannot reach Jaeger at http://127\\.0\\.0\\.1:${port} \\(GET http://127\\.0\\.0\\.1:${port}/api/traces/${DEMO_TRACE}\\): ECONNREFUSED\\n$`));
  });

  it('an HTTP error: exit 4 with the status and the start of the body', async () => {
    const { code, stderr } = await run(['cost', 'thread_cost_demo', '--tempo', `${base}/broken`]);
    assert.equal(code, 4);
    assert.match(stderr, /Tempo at http:\/\/127\.0\.0\.1:\d+\/broken answered HTTP 500 to GET .*: upstream storage error/);
  });

  it('an answer that is not JSON, or not a trace: exit 5', async () => {
    const html = await run(['cost', 'thread_cost_demo', '--jaeger', `${base}/html`]);
    assert.equal(html.code, 5);
    assert.match(html.stderr, /Jaeger at .*\/html did not answer JSON to GET .*: <html>login<\/html>/);
    const odd = await run(['cost', 'thread_cost_demo', '--tempo', `${base}/odd`]);
    assert.equal(odd.code, 5);
    assert.match(odd.stderr, /unexpected answer: no "batches" or "resourceSpans"/);
    const oddJaeger = await run(['cost', 'thread_cost_demo', '--jaeger', `${base}/odd`]);
    assert.equal(oddJaeger.code, 3, 'a Jaeger answer without "data" is an empty trace');
  });
});

describe('errors and exit codes', () => {
  it('a trace without run spans: exit 3', async () => {
    const { code, stderr } = await run(['cost', 'thread_norun', '--otlp-file', fixture('no-runs.otlp.jsonl')]);
    assert.equal(code, 3);
    assert.match(stderr, /the trace of thread thread_norun \(trace id 1ceb16221d0ef7d76c93955d618fdfc8\) in .*no-runs\.otlp\.jsonl has 2 span\(s\) but no run spans/);
  });

  it('a thread not in the file: exit 3', async () => {
    const { code, stderr } = await run(['cost', 'thread_missing', '--otlp-file', DEMO_FILE]);
    assert.equal(code, 3);
    assert.match(stderr, /no trace for thread thread_missing/);
  });

  it('a malformed file: exit 5, naming file and line', async () => {
    const broken = await run(['cost', 'thread_norun', '--otlp-file', fixture('malformed.otlp.jsonl')]);
    assert.equal(broken.code, 5);
    assert.match(broken.stderr, /malformed\.otlp\.jsonl:2: not valid JSON/);
    const shape = await run(['cost', 'thread_norun', '--otlp-file', fixture('wrong-shape.otlp.jsonl')]);
    assert.equal(shape.code, 5);
    assert.match(shape.stderr, /wrong-shape\.otlp\.jsonl:1: not OTLP JSON traces: a span has no valid traceId/);
    const other = await run(['cost', 'thread_norun', '--otlp-file', fixture('not-traces.jsonl')]);
    assert.equal(other.code, 5);
    assert.match(other.stderr, /no OTLP trace data in it/);
  });

  it('a missing file: exit 4', async () => {
    const { code, stderr } = await run(['cost', 't', '--otlp-file', path.join(tmp, 'nope.jsonl')]);
    assert.equal(code, 4);
    assert.match(stderr, /cannot read .*nope\.jsonl: ENOENT/);
  });

  const usageCases: Array<[string[], RegExp]> = [
    [[], /missing command/],
    [['bill', 't'], /unknown command "bill"/],
    [['cost'], /missing <thread_id>/],
    [['cost', '--otlp-file', 'f'], /missing <thread_id>/],
    [['cost', 't', 'u', '--otlp-file', 'f'], /one thread id expected, got 2/],
    [['cost', 't'], /exactly one of --jaeger, --tempo, --otlp-file/],
    [['cost', 't', '--jaeger'], /--jaeger needs a value/],
    [['cost', 't', '--jaeger', '--json'], /--jaeger needs a value/],
    [['cost', 't', '--jaeger', 'localhost:16686'], /not a URL|only http and https/],
    [['cost', 't', '--tempo=ftp://x'], /--tempo ftp:\/\/x: only http and https URLs/],
    [['cost', 't', '--jaeger', 'http://a', '--tempo', 'http://b'], /exactly one of/],
    [['cost', 't', '--otlp-file', 'f', '--verbose'], /unknown option "--verbose"/],
    [['cost', 't', '--otlp-file', 'f', '--json=yes'], /--json takes no value/],
  ];
  for (const [argv, message] of usageCases) {
    it(`bad arguments (${argv.join(' ') || 'none'}): exit 2 with usage`, async () => {
      const { code, stdout, stderr } = await run(argv);
      assert.equal(code, 2);
      assert.equal(stdout, '');
      assert.match(stderr, message);
      assert.match(stderr, /Usage: spanlens cost <thread_id \| conversation_id> \(--jaeger URL \| --tempo URL \| --otlp-file FILE\) \[--json\]/);
    });
  }

  it('--help: usage on stdout, exit 0', async () => {
    const { code, stdout } = await run(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /^Usage: spanlens cost/);
    assert.match(stdout, /Exit codes: 0 ok, 2 bad arguments, 3 thread not found/);
  });

  it('--flag=value works', async () => {
    const { code } = await run(['cost', 'thread_cost_demo', `--otlp-file=${DEMO_FILE}`, '--json']);
    assert.equal(code, 0);
  });
});

describe('the executable', () => {
  it('starts with a shebang and exits with main()s code when run as a script', () => {
    assert.equal(readFileSync(path.join(root, 'src/cli/main.ts'), 'utf8').split('\n')[0], '#!/usr/bin/env node');
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'cost', 'thread_missing', '--otlp-file', DEMO_FILE], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(child.status, 3, child.stderr);
    assert.match(child.stderr, /no trace for thread thread_missing/);
  });
});
