// npm run bench [-- --quick] [-- --write]: overhead of the instrumentation against the offline emulator.
// The emulator (and a static chat-completions stub) run in this process; each configuration runs in its
// own child process (child.mjs), so a child's CPU and heap are the app's alone. Batches alternate
// between configurations (order reversed every round) so drift on a shared machine hits all alike.
import { execFileSync, fork } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chatBody } from './fixtures.mjs';
import { startLongStream } from './long-stream.mjs';
import { benchPricing } from './pricing.mjs';

const bench = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(bench);
const quick = process.argv.includes('--quick');
const write = process.argv.includes('--write');
// --only=calls,callsinprocess,polled,stream,inprocess,threads,soak,pricing,agents,realtime: a subset of the sections, while iterating (the others' verdicts are left out).
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice(7).split(',')) : undefined;
const runs = (section) => !only || only.has(section);
const started = Date.now();

if (['openai', '@openai/agents', 'ws'].some((p) => !existsSync(path.join(bench, 'node_modules', p)))) {
  execFileSync('npm', ['install', '--prefix', bench, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
// Install the repo build into bench/node_modules as a package (what `npm install` of the tarball gives):
// its peer imports (@opentelemetry/api, instrumentation) then resolve to the bench's single copies, not
// to the repo's devDependencies next to dist/.
const staged = path.join(bench, 'node_modules', '@spanlens', 'instrumentation-openai');
if (!existsSync(path.join(root, 'dist', 'cjs', 'index.js'))) throw new Error('no build: run `npm run build` at the repo root');
rmSync(staged, { recursive: true, force: true });
mkdirSync(staged, { recursive: true });
cpSync(path.join(root, 'dist'), path.join(staged, 'dist'), { recursive: true });
cpSync(path.join(root, 'package.json'), path.join(staged, 'package.json'));

// CPU pinning: the servers (this process) on one core, the app under test (each child) on another, so the
// two sides of a loopback call do not take turns on the same core, and the scheduler's choices do not add
// to the spread. `taskset -a` moves every thread (V8's GC and compiler threads too). Skipped with one core
// or without taskset; the report says which.
const cores = os.availableParallelism?.() ?? os.cpus().length;
const pin = (pid, cpu) => {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const pinned = cores >= 2 && !process.argv.includes('--no-pin') && pin(process.pid, 0);

const require = createRequire(import.meta.url);
const { startEmulator } = require('@spanlens/instrumentation-openai/testing');
const emulator = await startEmulator({ pollAfterMs: 1 });

// The emulator has no chat completions route: a fixed answer (fixtures.mjs).
const chat = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_bench', 'content-length': Buffer.byteLength(chatBody) });
    res.end(chatBody);
  });
});
await new Promise((r) => chat.listen(0, '127.0.0.1', r));
const chatURL = `http://127.0.0.1:${chat.address().port}/v1`;
// (c): one run of STREAM_EVENTS events per batch (the emulator's runs are a few dozen events long).
const STREAM_EVENTS = quick ? 2000 : 10000;
const longStream = await startLongStream(emulator.baseURL, STREAM_EVENTS);

function spawn(scenario, config) {
  const child = fork(path.join(bench, 'child.mjs'), [scenario, config], {
    // BENCH_CPU_PROF=dir: a .cpuprofile per child, to see what dominates a missed target.
    execArgv: ['--expose-gc', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if (pinned) pin(child.pid, 1);
  if (process.env.BENCH_CPU_PROF) console.error(`profile: ${scenario}/${config} pid ${child.pid}`);
  let pending;
  let mark = 0;
  const ready = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${scenario}/${config} exited ${code}`)));
    child.on('message', (m) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'mark') {
        mark = emulator.requests.length;
        child.send({ type: 'ok' });
      } else if (m.type === 'reset') {
        emulator.reset();
        child.send({ type: 'ok' });
      } else if (m.type === 'result') pending.resolve({ ...m.result, requests: emulator.requests.length - mark });
      else if (m.type === 'error') pending.reject(new Error(`${scenario}/${config}: ${m.error}`));
    });
  });
  return {
    config,
    async batch(kind, n) {
      await ready;
      emulator.reset();
      mark = 0;
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        child.send({ type: 'batch', kind, n, baseURL: emulator.baseURL, chatURL, streamURL: longStream.baseURL });
      });
    },
    // A clean exit (not a signal), so --cpu-prof writes its profile.
    kill: () => child.connected && child.send({ type: 'exit' }),
  };
}

/** Warm-up, then `rounds` batches per configuration in alternating order. */
async function compare(kind, configs, { rounds, n, warm = n }) {
  const children = configs.map((c) => spawn(kind, c));
  const out = Object.fromEntries(configs.map((c) => [c, []]));
  try {
    for (const ch of children) await ch.batch(kind, warm);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [...children].reverse() : children;
      for (const ch of order) out[ch.config].push(await ch.batch(kind, n));
    }
  } finally {
    children.forEach((c) => c.kill());
  }
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
/** median (p10–p90 over batches) */
const fmt = (xs, d = 3) => `${median(xs).toFixed(d)} (${q(xs, 0.1).toFixed(d)}–${q(xs, 0.9).toFixed(d)})`;
const lines = [];
const say = (s = '') => {
  lines.push(s);
  console.log(s);
};
const verdicts = [];
const verdict = (name, ok, detail) => verdicts.push(`| ${name} | ${ok ? 'met' : '**missed**'} | ${detail} |`);

/**
 * Per-call table. Ratios are paired: each round's batch against the uninstrumented batch of the same round
 * (they ran back to back), then the median over rounds, so drift of a shared machine between rounds cancels.
 */
function callTable(title, res, unit = 'ms') {
  const base = res.none;
  const scale = unit === 'µs' ? 1000 : 1;
  say(`\n### ${title}\n`);
  say(`| config | wall ${unit}/call | × none, paired (p10–p90) | CPU ${unit}/call | × none, paired (p10–p90) | spans/batch |`);
  say('|---|---|---|---|---|---|');
  const ratios = {};
  const paired = (rs, key) => rs.map((r, i) => r[key] / base[i][key]);
  for (const [c, rs] of Object.entries(res)) {
    const w = rs.map((r) => r.wallMs);
    const cpu = rs.map((r) => r.cpuMs);
    const pw = paired(rs, 'wallMs');
    const pc = paired(rs, 'cpuMs');
    ratios[c] = {
      wall: median(pw),
      cpu: median(pc),
      addedMs: median(rs.map((r, i) => r.wallMs - base[i].wallMs)),
      addedCpu: median(rs.map((r, i) => r.cpuMs - base[i].cpuMs)),
    };
    const d = unit === 'µs' ? 1 : 3;
    say(
      `| ${c} | ${fmt(
        w.map((x) => x * scale),
        d,
      )} | ${fmt(pw)} | ${fmt(
        cpu.map((x) => x * scale),
        d,
      )} | ${fmt(pc)} | ${median(rs.map((r) => r.spans))} |`,
    );
  }
  return ratios;
}

const S = quick
  ? {
      calls: { rounds: 3, n: 100 },
      callsInProcess: { rounds: 3, n: 500, warm: 3000 },
      polled: { rounds: 3, n: 8, warm: 3 },
      stream: { rounds: 3, n: 1, warm: 2 },
      inProcess: { rounds: 6, n: 2, warm: 2 },
      threads: 12000,
      soak: [600, 100],
      agents: { rounds: 8, n: 40, warm: 40 },
      realtime: { rounds: 3, n: 2000, warm: 1000, soak: 1000 },
    }
  : {
      calls: { rounds: 30, n: 100 },
      callsInProcess: { rounds: 20, n: 2000 },
      polled: { rounds: 8, n: 20, warm: 5 },
      stream: { rounds: 12, n: 1, warm: 2 },
      inProcess: { rounds: 30, n: 2, warm: 2 },
      threads: 100000,
      soak: [3000, 200],
      agents: { rounds: 20, n: 100, warm: 100 },
      realtime: { rounds: 10, n: 10000, warm: 2000, soak: 10000 },
    };

const cpu = (readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) ?? [])[1] ?? os.cpus()[0]?.model;
say(`Machine: ${cpu}; nproc ${cores}; Linux ${os.release()}; Node ${process.version}; ${quick ? 'quick' : 'full'} run, ${new Date().toISOString()}`);
say(pinned ? 'CPU pinning: servers on CPU 0, the app under test on CPU 1 (taskset -a).' : 'CPU pinning: off (one core, no taskset, or --no-pin).');
say('Numbers: median over batches (p10–p90 in parentheses). Paired ratios: each batch against the uninstrumented batch of the same round, median over rounds.');
say(
  'Configs: none = the SDK alone (its OTel context manager active, as after any export); floor = one bare span per request; ours-unsampled = ours with an AlwaysOff sampler (observation without recording); none-idle = the SDK with the context manager never used.',
);

// (a) non-streaming calls
if (runs('calls')) {
  const retrieve = callTable('(a) runs.retrieve (completed run)', await compare('retrieve', ['none', 'floor', 'ours'], S.calls));
  const message = callTable('(a) messages.create', await compare('message', ['none', 'floor', 'ours'], S.calls));
  const chatRes = callTable('(a) chat.completions.create (static stub)', await compare('chat', ['none', 'floor', 'ours', 'otel', 'arize'], S.calls));
  // 'floor' is one bare span per request: what any tracing of the call costs on this machine.
  const vsFloor = (r) => `${r.ours.wall.toFixed(3)}× (bare span per call: ${r.floor.wall.toFixed(3)}×)`;
  verdict('≤ 1.05× wall, runs.retrieve', retrieve.ours.wall <= 1.05, vsFloor(retrieve));
  verdict('≤ 1.05× wall, messages.create', message.ours.wall <= 1.05, vsFloor(message));
  verdict('≤ 1.05× wall, chat.completions.create', chatRes.ours.wall <= 1.05, vsFloor(chatRes));
  // The issue's bar is contrib's instrumentation (otel); Arize is shown beside it.
  verdict(
    'chat added cost ≤ contrib (otel)',
    chatRes.ours.addedCpu <= chatRes.otel.addedCpu,
    `added CPU ms/call (paired medians): ours ${chatRes.ours.addedCpu.toFixed(3)}, otel ${chatRes.otel.addedCpu.toFixed(3)}, arize ${chatRes.arize.addedCpu.toFixed(3)}; added wall: ours ${chatRes.ours.addedMs.toFixed(3)}, otel ${chatRes.otel.addedMs.toFixed(3)}, arize ${chatRes.arize.addedMs.toFixed(3)}`,
  );
}

// (a, in-process) the same calls, the SDK's fetch answered in the app's process: no sockets, no server on
// the machine, so the per-call CPU is steady enough to compare changes. `--only=callsinprocess` runs it alone.
if (runs('calls') || runs('callsinprocess')) {
  const ipChat = callTable('(a, in-process) chat.completions.create', await compare('chatInProcess', ['none', 'floor', 'ours', 'otel', 'arize'], S.callsInProcess), 'µs');
  const ipMessage = callTable('(a, in-process) messages.create (one thread)', await compare('messageInProcess', ['none', 'floor', 'ours'], S.callsInProcess), 'µs');
  const us = (r) => `+${(r.addedCpu * 1000).toFixed(1)} µs`;
  say(
    `\nAdded CPU per call in-process (paired medians): chat ours ${us(ipChat.ours)}, bare span ${us(ipChat.floor)}, otel ${us(ipChat.otel)}, arize ${us(ipChat.arize)}; messages.create ours ${us(ipMessage.ours)}, bare span ${us(ipMessage.floor)}.`,
  );
}

// (b) polled runs
if (runs('polled')) {
  const polled = await compare('polled', ['none', 'ours', 'ours-nocontent'], S.polled);
  say('\n### (b) polled run (script `code`), createAndPoll, app does not read the messages\n');
  say('| config | steps | app wall ms/run | × none | incl. flush ms/run | CPU ms/run | requests/run | extra requests/run |');
  say('|---|---|---|---|---|---|---|---|');
  const reqPerRun = (rs) => median(rs.map((r) => r.requests / r.n));
  const baseReq = reqPerRun(polled.none);
  const polledExtra = {};
  for (const [c, rs] of Object.entries(polled)) {
    polledExtra[c] = reqPerRun(rs) - baseReq;
    say(
      `| ${c} | ${rs[0].steps} | ${fmt(
        rs.map((r) => r.callMs),
        2,
      )} | ${(median(rs.map((r) => r.callMs)) / median(polled.none.map((r) => r.callMs))).toFixed(3)} | ${fmt(
        rs.map((r) => r.wallMs),
        2,
      )} | ${fmt(
        rs.map((r) => r.cpuMs),
        2,
      )} | ${reqPerRun(rs).toFixed(2)} | ${polledExtra[c].toFixed(2)} |`,
    );
  }
  verdict(
    '≤ 1 extra request per polled run (content off)',
    polledExtra['ours-nocontent'] <= 1,
    `${polledExtra['ours-nocontent'].toFixed(2)} (content on, messages unread: ${polledExtra.ours.toFixed(2)}; 2 expected there)`,
  );

  // The same runs when the app lists the messages right after each run (both configurations do).
  const read = await compare('polledRead', ['none', 'ours'], S.polled);
  say("\n### (b) polled run, then the app lists the thread's messages\n");
  say('| config | app wall ms/run | × none | incl. flush ms/run | CPU ms/run | requests/run | extra requests/run |');
  say('|---|---|---|---|---|---|---|');
  const readBase = reqPerRun(read.none);
  for (const [c, rs] of Object.entries(read)) {
    say(
      `| ${c} | ${fmt(
        rs.map((r) => r.callMs),
        2,
      )} | ${(median(rs.map((r) => r.callMs)) / median(read.none.map((r) => r.callMs))).toFixed(3)} | ${fmt(
        rs.map((r) => r.wallMs),
        2,
      )} | ${fmt(
        rs.map((r) => r.cpuMs),
        2,
      )} | ${reqPerRun(rs).toFixed(2)} | ${(reqPerRun(rs) - readBase).toFixed(2)} |`,
    );
  }
  const readExtra = reqPerRun(read.ours) - readBase;
  verdict('≤ 1 extra request per polled run (content on, app lists the messages)', readExtra <= 1, `${readExtra.toFixed(2)}`);
}

// (c) streamed runs
let streamLoss;
let streamMet;
if (runs('stream')) {
  const stream = await compare('stream', ['none', 'floor', 'ours', 'ours-nocontent', 'ours-unsampled', 'none-idle'], S.stream);
  say(`\n### (c) one streamed run of ${STREAM_EVENTS} events per batch (the emulator's 'answer' stream, its message deltas repeated)\n`);
  say('| config | runs/batch | events/s | × none, paired (p10–p90) | CPU µs/event | peak heapUsed MB | extra requests | spans/run | OTLP bytes/run |');
  say('|---|---|---|---|---|---|---|---|---|');
  // Paired like the per-call ratios: each round against the uninstrumented batch of the same round.
  const pairedEps = (rs) => rs.map((r, i) => r.eventsPerSec / stream.none[i].eventsPerSec);
  for (const [c, rs] of Object.entries(stream)) {
    say(
      `| ${c} | ${median(rs.map((r) => r.runs))} | ${fmt(
        rs.map((r) => r.eventsPerSec),
        0,
      )} | ${fmt(pairedEps(rs))} | ${fmt(
        rs.map((r) => r.cpuMsPerEvent * 1000),
        1,
      )} | ${Math.max(...rs.map((r) => r.peakHeapMB)).toFixed(1)} | ${(median(rs.map((r) => r.requests)) - median(stream.none.map((r) => r.requests))).toFixed(0)} | ${median(rs.map((r) => r.spans / r.runs)).toFixed(1)} | ${median(rs.map((r) => r.otlpBytes / r.runs)).toFixed(0)} |`,
    );
  }
  const loss = (c) => 1 - median(pairedEps(stream[c]));
  streamLoss = `${(loss('ours') * 100).toFixed(1)}% loss over loopback (bare span per run: ${(loss('floor') * 100).toFixed(1)}%)`;
  streamMet = loss('ours') <= 0.03;
  const streamExtra = median(stream.ours.map((r) => r.requests)) - median(stream.none.map((r) => r.requests));
  verdict('0 extra requests per streamed run', streamExtra === 0, `${streamExtra}`);
}
// The same run in-process (the SDK's fetch answered from memory): no sockets, no server on the machine.
// `--only=inprocess` runs this part alone (a minute), to compare changes to the per-event cost.
if (runs('stream') || runs('inprocess')) {
  const inProc = await compare('streamInProcess', ['none', 'floor', 'ours', 'ours-nocontent', 'ours-unsampled'], S.inProcess);
  say(`\n### (c, in-process) the same run, the SDK's fetch answered in the app's process; ${S.inProcess.n} runs per batch\n`);
  say('| config | µs/event | × none, paired (p10–p90) | CPU µs/event | added CPU µs/event |');
  say('|---|---|---|---|---|');
  const pairedUs = (rs) => rs.map((r, i) => r.usPerEvent / inProc.none[i].usPerEvent);
  for (const [c, rs] of Object.entries(inProc)) {
    const added = median(rs.map((r, i) => r.cpuUsPerEvent - inProc.none[i].cpuUsPerEvent));
    say(
      `| ${c} | ${fmt(
        rs.map((r) => r.usPerEvent),
        2,
      )} | ${fmt(pairedUs(rs))} | ${fmt(
        rs.map((r) => r.cpuUsPerEvent),
        2,
      )} | ${added.toFixed(2)} |`,
    );
  }
  const inProcLoss = 1 - 1 / median(pairedUs(inProc.ours));
  const added = median(inProc.ours.map((r, i) => r.cpuUsPerEvent - inProc.none[i].cpuUsPerEvent));
  const detail = `${(inProcLoss * 100).toFixed(1)}% in-process (+${added.toFixed(2)} µs per event)`;
  verdict('≤ 3% streaming throughput loss', streamMet ?? inProcLoss <= 0.03, streamLoss ? `${streamLoss}; ${detail}` : detail);
}

// (d) many threads: one batch each, no alternation needed (a single heap measurement)
if (runs('threads')) {
  say(`\n### (d) ${S.threads} distinct threads + runs (in-process fetch, no HTTP), heapUsed after forced GC\n`);
  say('| config | time s | heap before MB | heap after MB | retained MB |');
  say('|---|---|---|---|---|');
  const threads = {};
  for (const c of ['none', 'ours']) {
    const ch = spawn('threads', c);
    try {
      threads[c] = await ch.batch('threads', S.threads);
    } finally {
      ch.kill();
    }
    const t = threads[c];
    say(`| ${c} | ${(t.ms / 1000).toFixed(1)} | ${t.heapBeforeMB.toFixed(1)} | ${t.heapAfterMB.toFixed(1)} | ${t.retainedMB.toFixed(1)} |`);
  }
  const retained = threads.ours.retainedMB - threads.none.retainedMB;
  verdict(`≤ 20 MB retained at ${S.threads} threads`, retained <= 20, `${retained.toFixed(1)} MB (ours − none)`);
}

// (e) soak
if (runs('soak')) {
  const soakChild = spawn('soak', 'ours-bounded');
  let soak;
  try {
    soak = await soakChild.batch('soak', S.soak[0]).then((r) => r);
  } finally {
    soakChild.kill();
  }
  await Promise.resolve();
  say(`\n### (e) soak: ${S.soak[0]} runs (polled and streamed alternately), ours with \`maxTrackedEntities: 500\` (so the bound is passed), heapUsed after GC\n`);
  say(soak.samples.map((s) => `${s.runs}: ${s.heapMB.toFixed(1)} MB`).join(' · '));
  // Least-squares slope over the second half (after the entity bound is reached): MB per 1000 runs.
  const later = soak.samples.slice(Math.floor(soak.samples.length / 2));
  const mx = later.reduce((a, s) => a + s.runs, 0) / later.length;
  const my = later.reduce((a, s) => a + s.heapMB, 0) / later.length;
  const slope = (later.reduce((a, s) => a + (s.runs - mx) * (s.heapMB - my), 0) / later.reduce((a, s) => a + (s.runs - mx) ** 2, 0)) * 1000;
  verdict('flat heap in the soak', slope < 0.25, `second half: ${slope.toFixed(2)} MB per 1000 runs`);
}

// (f) pricing one call: first for a model (resolved from the price data) vs cached, in this process.
if (runs('pricing')) {
  const pr = benchPricing(staged, { quick });
  say('\n### (f) pricing one call (in-process, the built Pricing; median)\n');
  say('| price package load ms (once) | first call per model µs | cached call µs | first ÷ cached | genai-prices calcPrice µs/call |');
  say('|---|---|---|---|---|');
  say(`| ${pr.loadMs.toFixed(1)} | ${pr.firstUs.toFixed(1)} | ${pr.cachedUs.toFixed(3)} | ${(pr.firstUs / pr.cachedUs).toFixed(0)}× | ${pr.calcPriceUs.toFixed(1)} |`);
  verdict('≤ ~1 µs to price a call after the first', pr.cachedUs <= 1, `${pr.cachedUs.toFixed(3)} µs cached; first ${pr.firstUs.toFixed(1)} µs; calcPrice ${pr.calcPriceUs.toFixed(1)} µs`);
}

// (g) an Agents SDK run with two tool calls, in-process (agents.mjs): ours against the uninstrumented app
// and against the SDK's own tracing with a no-op processor.
if (runs('agents')) {
  const ag = callTable('(g, in-process) Agents SDK run: two tool calls, three model calls; per run', await compare('agentRun', ['none', 'sdk-noop', 'ours', 'ours-nocontent'], S.agents));
  const ms = (r) => `+${r.addedCpu.toFixed(3)} ms`;
  say(
    `\nAdded CPU per agent run (paired medians, against none): ours ${ms(ag.ours)} (${ag.ours.cpu.toFixed(3)}×), the SDK's own tracing with a no-op processor ${ms(ag['sdk-noop'])} (${ag['sdk-noop'].cpu.toFixed(3)}×); ours − sdk-noop ${(ag.ours.addedCpu - ag['sdk-noop'].addedCpu).toFixed(3)} ms; ours without content ${ms(ag['ours-nocontent'])}.`,
  );
}

// (h) a Realtime session over loopback (realtime.mjs): added CPU per server event against the uninstrumented client.
if (runs('realtime')) {
  const rt = callTable(
    `(h) Realtime session over a WebSocket on loopback: responses until ${S.realtime.n} server events; per event`,
    await compare('realtimeEvents', ['none', 'ours', 'ours-nocontent'], S.realtime),
    'µs',
  );
  say(
    `\nAdded CPU per Realtime event (paired medians, against none): ours +${(rt.ours.addedCpu * 1000).toFixed(2)} µs (${rt.ours.cpu.toFixed(3)}×); without content +${(rt['ours-nocontent'].addedCpu * 1000).toFixed(2)} µs.`,
  );
  // Soak: one session of S.realtime.soak responses, the app's heap after GC, without and with ours.
  say(`\n### (h) Realtime soak: ${S.realtime.soak} responses on one session, the app's heapUsed after GC\n`);
  for (const config of ['none', 'ours']) {
    const child = spawn('realtimeSoak', config);
    let soak;
    try {
      soak = await child.batch('realtimeSoak', S.realtime.soak);
    } finally {
      child.kill();
    }
    const first = soak.samples[1] ?? soak.samples[0];
    const last = soak.samples.at(-1);
    say(
      `${config}: ${soak.samples.map((x) => `${x.responses}: ${x.heapMB.toFixed(1)}`).join(' · ')} MB (${soak.events} events; ${(last.heapMB - first.heapMB).toFixed(2)} MB from the first sample to the last)`,
    );
    if (config === 'ours')
      verdict('flat heap in the Realtime soak', last.heapMB - first.heapMB < 2, `${(last.heapMB - first.heapMB).toFixed(2)} MB over ${last.responses - first.responses} responses`);
  }
}

say('\n### Targets\n');
if (quick) say('(--quick: a smoke run; too few batches, and a soak too short, for these verdicts to be reliable — use the full run.)\n');
say('| target | result | numbers |');
say('|---|---|---|');
verdicts.forEach((v) => say(v));
say(`\nBench time: ${((Date.now() - started) / 1000).toFixed(0)} s`);

await emulator.close();
await longStream.close();
chat.close();
if (write) writeFileSync(path.join(bench, 'results-raw.md'), lines.join('\n') + '\n');
