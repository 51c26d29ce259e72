// Export faults against the real Collector and Jaeger: an app started through the register entry
// (BatchSpanProcessor + OTLP/HTTP) runs assistant turns while its collector is (A) not running yet,
// (B) started, (C) killed with SIGKILL, (D) restarted on the same ports. The app's calls must not be
// held up (no turn waits for an export) or failed by any of it, nothing may reach it as an unhandled rejection, the turns made while
// the collector was up must land whole in Jaeger (after the restart: all but possibly the first batch),
// what is lost is lost from the outage phases, and any loss is reported through diag (export errors).
// Every span read back from Jaeger is scanned for the app's API key, organization and project.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { threadTraceId } from '../../src/trace/trace-ids';
import { recordSecretScan } from '../harness/run-cell';
import { ensureBackends, fetchTrace, freePorts, startCollector, startJaeger } from './backends.mjs';

const SKIP = process.env.SPANLENS_SKIP_E2E === '1' ? 'SPANLENS_SKIP_E2E=1' : false;
const ROOT = path.resolve(__dirname, '../..');
const APP = path.join(__dirname, 'export-faults-app.cjs');
const EXPORT_TIMEOUT_MS = 2000;
const SECRETS = ['sk-spanlens-test-SECRET-0123456789', 'spanlens-test-SECRET', 'SECRETorg', 'SECRETproj', 'authorization', 'bearer ', 'openai-organization', 'openai-project'];
const ROUNDS = 6;
const SPANS_PER_TURN = 4; // threads.create, messages.create, invoke_agent, chat

type Round = { threadId: string; status: string; ms: number };
type Backend = Awaited<ReturnType<typeof startCollector>>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('e2e: collector down at start, killed and restarted mid-run', { skip: SKIP }, () => {
  let jaeger: Awaited<ReturnType<typeof startJaeger>>;
  let collector: Backend | undefined;
  let app: ChildProcess;
  const messages: Record<string, unknown>[] = [];
  let waiters: Array<(m: Record<string, unknown>) => boolean> = [];

  before(
    async () => {
      await ensureBackends();
      jaeger = await startJaeger();
    },
    { timeout: 35 * 60_000 },
  );
  after(async () => {
    if (app && app.exitCode === null) app.kill('SIGKILL');
    await collector?.stop();
    await jaeger?.stop();
  });

  const next = (match: (m: Record<string, unknown>) => boolean, what: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const found = messages.find(match);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`app: no ${what} within 60 s; got ${JSON.stringify(messages).slice(0, 2000)}`)), 60_000);
      waiters.push((m) => {
        if (!match(m)) return false;
        clearTimeout(timer);
        resolve(m);
        return true;
      });
    });
  const phase = async (name: string, rounds = ROUNDS) => {
    app.send({ phase: name, rounds });
    return (await next((m) => m.phase === name, `phase ${name}`)).rounds as Round[];
  };

  it('the app is neither slowed nor failed; loss only while the collector is away, reported through diag', { timeout: 300_000 }, async () => {
    const [otlpGrpc, otlpHttp, health, metrics, deadTempo] = await freePorts(5);
    const ports = { otlpGrpc: otlpGrpc!, otlpHttp: otlpHttp!, health: health!, metrics: metrics!, deadTempo: deadTempo! };
    const collectorOptions = { ports, env: { JAEGER_OTLP_ENDPOINT: `127.0.0.1:${jaeger.ports.otlpGrpc}`, TEMPO_OTLP_ENDPOINT: `127.0.0.1:${ports.deadTempo}` } };

    app = fork(APP, [], {
      cwd: ROOT,
      execArgv: ['-r', '@spanlens/instrumentation-openai/register'],
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ports.otlpHttp}`,
        OTEL_SERVICE_NAME: 'spanlens-export-faults',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_EXPORTER_OTLP_TIMEOUT: String(EXPORT_TIMEOUT_MS),
        OPENAI_API_KEY: '',
        OPENAI_BASE_URL: '',
        NODE_OPTIONS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let output = '';
    app.stdout!.on('data', (d) => (output += d));
    app.stderr!.on('data', (d) => (output += d));
    app.on('message', (m: Record<string, unknown>) => {
      messages.push(m);
      waiters = waiters.filter((w) => !w(m));
    });
    await next((m) => m.ready === true || m.failed !== undefined, 'ready');

    // Warm-up (JIT, first connections), not measured: otherwise the first phase looks slow for its own sake.
    await phase('warm-up', 3);
    const down = await phase('A-collector-not-started');
    const quiet = async (ms: number) => new Promise((r) => setTimeout(r, ms));
    await quiet(1500); // the batch processor's exports to nowhere fail in this time
    collector = await startCollector(collectorOptions);
    const up = await phase('B-collector-up');
    await quiet(2500); // exported and forwarded before the kill
    process.kill(collector.pid!, 'SIGKILL');
    await collector.stop();
    const killed = await phase('C-collector-killed');
    await quiet(1500);
    collector = await startCollector(collectorOptions);
    const restarted = await phase('D-collector-restarted');
    app.send({ exit: true });
    const final = await next((m) => m.final === true, 'final report');
    const exit = await new Promise<number | null>((resolve) => (app.exitCode !== null ? resolve(app.exitCode) : app.once('exit', resolve)));
    assert.equal(exit, 0, output);

    // Not failed: every turn of every phase completed; nothing reached the app as an unhandled rejection.
    for (const r of [...down, ...up, ...killed, ...restarted]) assert.equal(r.status, 'completed');
    assert.deepEqual(final.unhandled, [], 'unhandled rejections / exceptions in the app');
    // Not held up by the exports: a turn that waited for one would take up to the exporter's 2 s timeout
    // while the collector is away. The medians are printed (a relative bound on them flaked on a busy
    // machine: speed comparisons belong in bench/); the bound asserted is the timeout, the behaviour.
    const ms = { down: median(down.map((r) => r.ms)), up: median(up.map((r) => r.ms)), killed: median(killed.map((r) => r.ms)), restarted: median(restarted.map((r) => r.ms)) };
    console.log(`[export-faults] median turn latency (ms): ${JSON.stringify(Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.round(v)])))}`);
    for (const [phase, v] of Object.entries(ms)) assert.ok(v < EXPORT_TIMEOUT_MS, `${phase}: a median turn of ${Math.round(v)} ms reaches the export timeout`);

    // Delivered: every turn made while the collector was up is whole in Jaeger (read back by thread).
    const scanned = { spans: 0, hits: [] as string[] };
    const delivered = async (rounds: Round[], wait: boolean) => {
      let spans = 0;
      for (const r of rounds) {
        const trace = await fetchTrace(jaeger.ports.query, threadTraceId(r.threadId), { minSpans: SPANS_PER_TURN, timeoutMs: wait ? 30_000 : 1_500 }).catch(() => undefined);
        if (!trace) continue;
        spans += trace.spans.length;
        scanned.spans += trace.spans.length;
        const text = JSON.stringify(trace).toLowerCase();
        for (const s of SECRETS) if (text.includes(s.toLowerCase())) scanned.hits.push(s);
      }
      return spans;
    };
    const got = {
      up: await delivered(up, true),
      restarted: await delivered(restarted, true),
      down: await delivered(down, false),
      killed: await delivered(killed, false),
    };
    const made = ROUNDS * SPANS_PER_TURN;
    assert.equal(got.up, made, 'every span of the turns made with the collector up reached Jaeger');
    // After the restart: the first batch may still be lost (sent before the new collector accepted it,
    // seen in about one run of three); later turns arrive. Any loss there is reported (diag below).
    assert.ok(got.restarted >= made / 2, `after the restart only ${got.restarted} of ${made} spans arrived`);
    // Lost: only spans made while the collector was away, at most what the batch queue held then (all of
    // those phases' spans; the default queue, 2048, is far above them: no drops for a full queue).
    const lost = 4 * made - got.up - got.restarted - got.down - got.killed;
    console.log(`[export-faults] spans made ${4 * made}, delivered ${JSON.stringify(got)}, lost ${lost}`);
    assert.ok(lost <= 2 * made + made / 2, 'loss bounded by the outages (and at most the first batch after the restart)');
    // Reported: the failed exports are diag errors, not console noise and not silence.
    const diag = final.diag as { level: string; message: string }[];
    const exportErrors = diag.filter((d) => d.level === 'ERROR');
    console.log(`[export-faults] diag: ${exportErrors.length} error(s), e.g. ${JSON.stringify(exportErrors[0]?.message)}`);
    if (lost > 0) assert.ok(exportErrors.length > 0, `spans lost without a diag error: ${JSON.stringify(diag)}`);
    assert.doesNotMatch(output, /spanlens/i, 'nothing from the instrumentation on the console');

    // Secrets: none in anything Jaeger holds.
    await recordSecretScan('e2e export-faults (Jaeger)', scanned);
    // (as many as the checks above require: all of the first phase, at least half after the restart)
    assert.ok(scanned.spans >= made + made / 2, `the scan saw the delivered spans (${scanned.spans})`);
    assert.deepEqual(scanned.hits, [], 'credentials in exported spans');
  });
});
