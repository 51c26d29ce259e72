#!/usr/bin/env node
// span-dump: a normalised dump of every span the instrumentation exports in a fixed set of scenarios, so
// that a no-behaviour-change refactor can be checked by comparing a dump taken before with one taken after.
//
//   node scripts/span-dump.mjs --repo <repo dir> --out <file.json>
//        [--replay-dir <dir>]      default <repo>/test/replay   (cassette.ts, server.ts, drive.mjs)
//        [--recordings <dir>]      default $SPANLENS_RECORDINGS, else <repo>/test/fixtures/recordings
//        [--jobs <n>]              child processes at a time, default 2
//        [--only <substring>]      only the scenarios whose name contains it (for debugging)
//   node scripts/span-dump.mjs --compare <a.json> <b.json>     prints the differences; exit 1 if any
//
// It only uses the repo's public surface: the BUILT package (<repo>/dist/cjs/index.js: OpenAIInstrumentation,
// ThreadTraceIdGenerator, threadTraceId, threadRootSpanId, conversationTraceId), examples/demo.cjs, and the
// replay machinery (<replay-dir>/cassette.ts listCassettes/loadCassette, server.ts startReplayServer,
// drive.mjs). Run `npm run build` in the repo first. The `openai` used is the repo's node_modules copy.
//
// Scenarios (one child process each, so no state leaks between them):
//   demo                              examples/demo.cjs run unchanged, its spans teed by a -r preload
//                                     (span-dump/demo-preload.cjs)
//   replay/<rel path of cassette>     every recording, SSE written one event per chunk (server default)
//   replay-random7/<rel path>         every recording with an SSE response again, SSE cut at random byte
//                                     offsets with seed 7 (as test/streaming-replay.test.ts does)
//   @derived-ids                      not spans: for every thread / conversation id used as a label below,
//                                     the raw trace id (and thread root span id) the package derives, so a
//                                     change of the derivation itself shows up too
// Replays use ThreadTraceIdGenerator as the idGenerator and an InMemorySpanExporter (span-dump/replay-child.mjs).
//
// Normalisation (per scenario):
//   - Spans are laid out as a tree: roots are spans whose parent is not among the scenario's spans. Siblings
//     are ordered by (name, start time, content without ids, export order) and each span gets a structural
//     `key`: the chain of `<name>#<n>` from its root, n counting siblings of the same name (a root whose
//     parent is a derived id but not exported is keyed under `^<that label>`). Output is that tree depth first.
//   - Trace ids: threadTraceId(t) -> `thread:<t>`, conversationTraceId(c) -> `conversation:<c>` for every
//     `thread_…` / `conv_…` string found in the scenario's attributes; any other -> `trace#<n>` in
//     first-seen (output) order.
//   - Span ids (own, parent, links): threadRootSpanId(t) -> `thread-root:<t>`; exported spans -> `span#<n>` in
//     output order; ids of spans not exported (parents, links) -> `unknown-span#<n>`.
//   - Times: all timestamps and durations are removed. Kept: `within_parent` (parent.start <= start and
//     end <= parent.end; null for roots) and per event `within_span` (start <= event time <= end).
//   - Attribute VALUES that are inherently variable are replaced by "<dropped>" (the key is kept, so an
//     attribute that disappears still shows): in span, event and link attributes,
//       server.port                              (the replay server's / emulator's random port)
//       spanlens.tool.output_wait_ms             (wall-clock wait for a tool output)
//       gen_ai.response.time_to_first_chunk      (wall-clock seconds to the first stream chunk)
//     and any key ending in `_ms`, `.ms`, `_seconds`, `.duration` or `.time_to_first_chunk` (none other exist
//     at the baseline; the pattern is there for attributes added later).
//   - Dropped entirely: the resource, span/event/link times, droppedAttributesCount & co. Kept: name, kind,
//     instrumentation scope name, status code + message, attributes (keys sorted), events in their recorded
//     order (name, attributes, within_span), links (trace/span labels, attributes).
// A scenario whose child failed (crash, drive threw, demo exit code) gets an entry { key: '@error', error }
// and the dump exits 3 after writing; diag WARN/ERROR lines and replay oddities are printed to stderr only.
// Exit codes: dump 0 ok / 2 usage or setup error / 3 written but some scenario failed; compare 0 identical /
// 1 different / 2 unreadable file.
// Checked at a27d53e: three dumps in a row (under heavy machine load, --jobs 2) were byte-identical, so no
// value beyond the ones above needed normalising.
// The JSON is written with a fixed key order and one value per line, so a plain `diff` of two dumps is
// meaningful; --compare aligns spans by `key` and prints field-level differences.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPLAY_CHILD = path.join(HERE, 'span-dump/replay-child.mjs');
const DEMO_PRELOAD = path.join(HERE, 'span-dump/demo-preload.cjs');

const DROPPED_EXACT = new Set(['server.port', 'spanlens.tool.output_wait_ms', 'gen_ai.response.time_to_first_chunk']);
const DROPPED_PATTERN = /(?:_ms|\.ms|_seconds|\.duration|\.time_to_first_chunk)$/;
const DROPPED = '<dropped>';

// ---------------------------------------------------------------------------------------------- CLI

function parseArgs(argv) {
  const opts = { jobs: 2 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--repo') opts.repo = path.resolve(value());
    else if (a === '--out') opts.out = path.resolve(value());
    else if (a === '--replay-dir') opts.replayDir = path.resolve(value());
    else if (a === '--recordings') opts.recordings = path.resolve(value());
    else if (a === '--jobs') opts.jobs = Math.max(1, Number(value()) || 1);
    else if (a === '--only') opts.only = value();
    else if (a === '--compare') opts.compare = [path.resolve(value()), path.resolve(value())];
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  return opts;
}

function usage(error) {
  if (error) process.stderr.write(`span-dump: ${error}\n`);
  process.stderr.write(
    'usage: node scripts/span-dump.mjs --repo <dir> --out <file.json> [--replay-dir <dir>] [--recordings <dir>] [--jobs n] [--only s]\n' +
      '       node scripts/span-dump.mjs --compare <a.json> <b.json>\n',
  );
  process.exit(error ? 2 : 0);
}

const note = (msg) => process.stderr.write(`span-dump: ${msg}\n`);

// -------------------------------------------------------------------------------------- children

function runNode(args, { cwd, env, label }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, label }));
  });
}

/** The environment of every child: no OTLP export, no inherited Node options or recordings override. */
function childEnv(extra) {
  const env = { ...process.env, ...extra };
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_') || k === 'NODE_OPTIONS') delete env[k];
  return env;
}

async function pool(items, jobs, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(jobs, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

async function collect(opts) {
  const { repo } = opts;
  const replayDir = opts.replayDir ?? path.join(repo, 'test/replay');
  const recordings = opts.recordings ?? (process.env.SPANLENS_RECORDINGS || path.join(repo, 'test/fixtures/recordings'));
  for (const f of ['dist/cjs/index.js', 'examples/demo.cjs', 'node_modules/tsx']) {
    if (!existsSync(path.join(repo, f))) throw new Error(`${path.join(repo, f)} is missing (npm ci && npm run build in the repo?)`);
  }
  for (const f of ['cassette.ts', 'server.ts', 'drive.mjs']) {
    if (!existsSync(path.join(replayDir, f))) throw new Error(`${path.join(replayDir, f)} is missing (pass --replay-dir)`);
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'span-dump-'));
  const problems = [];
  try {
    // The cassettes, listed by the repo's own listCassettes (and whether each has an SSE response).
    const listArgs = path.join(tmp, 'list.json');
    const listOut = path.join(tmp, 'list.out.json');
    writeFileSync(listArgs, JSON.stringify({ mode: 'list', repo, replayDir, recordings, out: listOut }));
    const listed = await runNode(['--import', 'tsx', REPLAY_CHILD, listArgs], { cwd: repo, env: childEnv(), label: 'list' });
    if (listed.code !== 0) throw new Error(`listing cassettes failed:\n${listed.stderr}`);
    const cassettes = JSON.parse(readFileSync(listOut, 'utf8'));
    if (!cassettes.length) throw new Error(`no cassettes under ${recordings}`);

    const tasks = [{ scenario: 'demo', kind: 'demo' }];
    for (const c of cassettes) {
      const rel = path.relative(recordings, c.file).replace(/\.ya?ml$/, '');
      tasks.push({ scenario: `replay/${rel}`, kind: 'replay', cassette: c.file, chunkSplit: 'events', seed: 1 });
    }
    for (const c of cassettes.filter((x) => x.hasSSE)) {
      const rel = path.relative(recordings, c.file).replace(/\.ya?ml$/, '');
      tasks.push({ scenario: `replay-random7/${rel}`, kind: 'replay', cassette: c.file, chunkSplit: 'random', seed: 7 });
    }
    const selected = opts.only ? tasks.filter((t) => t.scenario.includes(opts.only)) : tasks;
    note(`${selected.length} scenarios (${cassettes.length} cassettes in ${recordings}), ${opts.jobs} at a time`);

    const raw = await pool(selected, opts.jobs, async (t, i) => {
      const out = path.join(tmp, `s${i}.json`);
      let r;
      if (t.kind === 'demo') {
        r = await runNode(['-r', DEMO_PRELOAD, 'examples/demo.cjs'], { cwd: repo, env: childEnv({ SPAN_DUMP_OUT: out }), label: t.scenario });
      } else {
        const a = path.join(tmp, `s${i}.args.json`);
        writeFileSync(a, JSON.stringify({ mode: 'replay', repo, replayDir, cassette: t.cassette, chunkSplit: t.chunkSplit, seed: t.seed, out }));
        r = await runNode(['--import', 'tsx', REPLAY_CHILD, a], { cwd: repo, env: childEnv(), label: t.scenario });
      }
      let result;
      try {
        result = JSON.parse(readFileSync(out, 'utf8'));
      } catch {
        result = undefined;
      }
      const bad = r.code !== 0 || !result || result.error || result.exitCode;
      if (bad) problems.push(`${t.scenario}: exit ${r.code ?? r.signal}${result?.error ? `, ${result.error}` : ''}\n${r.stderr.slice(-2000)}`);
      if (result) {
        for (const d of result.diag ?? []) note(`${t.scenario}: diag ${d.level}: ${d.message}`);
        for (const u of result.unhandled ?? []) problems.push(`${t.scenario}: unhandled rejection ${u}`);
        if (result.statuses && !isDeepStrictEqual(result.statuses, result.recordedStatuses))
          note(`${t.scenario}: app-visible statuses ${result.statuses} differ from the recording ${result.recordedStatuses}`);
        if (result.remaining) note(`${t.scenario}: ${result.remaining} recorded requests not made`);
      }
      process.stderr.write('.');
      return { scenario: t.scenario, spans: result?.spans, error: bad ? `child failed (exit ${r.code ?? r.signal})${result?.error ? `: ${firstLine(result.error)}` : ''}` : undefined };
    });
    process.stderr.write('\n');
    return { raw, problems };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const firstLine = (s) => String(s).split('\n')[0];

// ---------------------------------------------------------------------------------- normalisation

/** Plain JSON with object keys sorted (recursively), for content comparison and tie-breaking. */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value).sort()) out[k] = canonical(value[k]);
    return out;
  }
  return value;
}

function normAttributes(attrs) {
  const out = {};
  for (const k of Object.keys(attrs ?? {}).sort()) {
    out[k] = DROPPED_EXACT.has(k) || DROPPED_PATTERN.test(k) ? DROPPED : canonical(attrs[k]);
  }
  return out;
}

/** Every `thread_…` / `conv_…` string in a span's attributes (also inside arrays), for derived-id labels. */
function collectIds(spans, threads, conversations) {
  const visit = (v) => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (typeof v !== 'string') return;
    if (/^thread_[A-Za-z0-9_-]+$/.test(v)) threads.add(v);
    if (/^conv_[A-Za-z0-9_-]+$/.test(v)) conversations.add(v);
  };
  for (const s of spans) {
    Object.values(s.attributes).forEach(visit);
    for (const e of s.events) Object.values(e.attributes).forEach(visit);
    for (const l of s.links) Object.values(l.attributes).forEach(visit);
  }
}

function normaliseScenario(spans, pkg, derived) {
  const threads = new Set();
  const conversations = new Set();
  collectIds(spans, threads, conversations);
  const traceDerived = new Map();
  const spanDerived = new Map();
  for (const t of [...threads].sort()) {
    const traceId = pkg.threadTraceId(t);
    const rootSpanId = typeof pkg.threadRootSpanId === 'function' ? pkg.threadRootSpanId(t) : undefined;
    traceDerived.set(traceId, `thread:${t}`);
    if (rootSpanId) spanDerived.set(rootSpanId, `thread-root:${t}`);
    derived.set(`thread:${t}`, { label: `thread:${t}`, trace_id: traceId, ...(rootSpanId ? { root_span_id: rootSpanId } : {}) });
  }
  for (const c of [...conversations].sort()) {
    const traceId = pkg.conversationTraceId(c);
    traceDerived.set(traceId, `conversation:${c}`);
    derived.set(`conversation:${c}`, { label: `conversation:${c}`, trace_id: traceId });
  }
  const usedDerived = new Set();

  // Content without ids or times: the tie-breaker between same-named siblings that started together.
  const items = spans.map((s, index) => ({
    s,
    index,
    start: BigInt(s.start),
    end: BigInt(s.end),
    id: `${s.traceId}/${s.spanId}`,
    content: JSON.stringify(
      canonical({ name: s.name, kind: s.kind, status: s.status, attributes: normAttributes(s.attributes), events: s.events.map((e) => ({ name: e.name, attributes: normAttributes(e.attributes) })) }),
    ),
    children: [],
  }));
  const byId = new Map(items.map((it) => [it.id, it]));
  const roots = [];
  for (const it of items) {
    const parent = it.s.parentSpanId ? byId.get(`${it.s.traceId}/${it.s.parentSpanId}`) : undefined;
    if (parent) {
      it.parent = parent;
      parent.children.push(it);
    } else roots.push(it);
  }
  const cmp = (a, b) =>
    a.s.name < b.s.name ? -1 : a.s.name > b.s.name ? 1 : a.start < b.start ? -1 : a.start > b.start ? 1 : a.content < b.content ? -1 : a.content > b.content ? 1 : a.index - b.index;
  // Roots hang under the derived label of their (unexported) parent, if it has one: group by that first.
  const rootGroup = (it) => (it.s.parentSpanId && spanDerived.has(it.s.parentSpanId) ? `^${spanDerived.get(it.s.parentSpanId)}/` : '');
  roots.sort((a, b) => (rootGroup(a) < rootGroup(b) ? -1 : rootGroup(a) > rootGroup(b) ? 1 : cmp(a, b)));

  const ordered = [];
  const walk = (list, prefix, grouped) => {
    const counts = new Map();
    for (const it of list) {
      const p = grouped ? rootGroup(it) : prefix;
      const n = counts.get(p + it.s.name) ?? 0;
      counts.set(p + it.s.name, n + 1);
      it.key = `${p}${it.s.name}#${n}`;
      ordered.push(it);
      walk(it.children.sort(cmp), `${it.key}/`, false);
    }
  };
  walk(roots, '', true);

  const traceLabels = new Map();
  const spanLabels = new Map();
  const traceLabel = (traceId, fresh) => {
    if (traceDerived.has(traceId)) {
      usedDerived.add(traceDerived.get(traceId));
      return traceDerived.get(traceId);
    }
    if (!traceLabels.has(traceId)) traceLabels.set(traceId, `${fresh}#${traceLabels.size + 1}`);
    return traceLabels.get(traceId);
  };
  let unknownSpans = 0;
  const spanLabel = (spanId) => {
    if (spanDerived.has(spanId)) return spanDerived.get(spanId);
    if (!spanLabels.has(spanId)) spanLabels.set(spanId, `unknown-span#${++unknownSpans}`);
    return spanLabels.get(spanId);
  };
  ordered.forEach((it, i) => {
    if (!spanDerived.has(it.s.spanId)) spanLabels.set(it.s.spanId, `span#${i + 1}`);
    traceLabel(it.s.traceId, 'trace');
  });

  return ordered.map((it) => {
    const s = it.s;
    const p = it.parent;
    return {
      key: it.key,
      name: s.name,
      kind: s.kind,
      scope: s.scope,
      trace: traceLabel(s.traceId, 'trace'),
      span: spanLabel(s.spanId),
      parent: s.parentSpanId ? spanLabel(s.parentSpanId) : null,
      within_parent: p ? p.start <= it.start && it.end <= p.end : null,
      status: { code: s.status.code, message: s.status.message ?? null },
      attributes: normAttributes(s.attributes),
      events: s.events.map((e) => ({
        name: e.name,
        within_span: it.start <= BigInt(e.time) && BigInt(e.time) <= it.end,
        attributes: normAttributes(e.attributes),
      })),
      links: s.links.map((l) => ({ trace: traceLabel(l.traceId, 'unknown-trace'), span: spanLabel(l.spanId), attributes: normAttributes(l.attributes) })),
    };
  });
}

async function dump(opts) {
  const pkg = createRequire(path.join(opts.repo, 'package.json'))(path.join(opts.repo, 'dist/cjs/index.js'));
  for (const f of ['threadTraceId', 'conversationTraceId', 'OpenAIInstrumentation', 'ThreadTraceIdGenerator'])
    if (typeof pkg[f] !== 'function') throw new Error(`${opts.repo}/dist/cjs/index.js does not export ${f}`);
  const { raw, problems } = await collect(opts);
  const derived = new Map();
  const out = {};
  let spanCount = 0;
  for (const r of raw.sort((a, b) => (a.scenario < b.scenario ? -1 : a.scenario > b.scenario ? 1 : 0))) {
    const spans = r.spans ? normaliseScenario(r.spans, pkg, derived) : [];
    if (r.error) spans.push({ key: '@error', error: r.error });
    out[r.scenario] = spans;
    spanCount += r.spans?.length ?? 0;
  }
  out['@derived-ids'] = [...derived.keys()].sort().map((k) => derived.get(k));
  mkdirSync(path.dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(out, null, 2) + '\n');
  note(`wrote ${opts.out}: ${raw.length} scenarios, ${spanCount} spans (+ @derived-ids: ${out['@derived-ids'].length} derived ids)`);
  if (problems.length) {
    for (const p of problems) note(`PROBLEM ${p}`);
    process.exitCode = 3;
  }
}

// ---------------------------------------------------------------------------------------- compare

function fieldDiffs(a, b, at, out) {
  if (isDeepStrictEqual(a, b)) return;
  const isObj = (v) => v && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) fieldDiffs(a[k], b[k], `${at}.${k}`, out);
    return;
  }
  const show = (v) => (v === undefined ? '(absent)' : truncate(JSON.stringify(v)));
  if (Array.isArray(a) && Array.isArray(b)) {
    // Element by element; the longer side's tail is listed (an event more or less shows as such).
    if (a.length !== b.length) out.push(`${at}: ${a.length} vs ${b.length} entries`);
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) fieldDiffs(a[i], b[i], `${at}[${i}]`, out);
    for (let i = n; i < a.length; i++) out.push(`${at}[${i}]: only in A: ${show(a[i])}`);
    for (let i = n; i < b.length; i++) out.push(`${at}[${i}]: only in B: ${show(b[i])}`);
    return;
  }
  out.push(`${at}: ${show(a)} vs ${show(b)}`);
}

const truncate = (s, n = 300) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

function readDump(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    note(`cannot read dump ${file}: ${err.message}`);
    process.exit(2);
  }
}

function compare([fa, fb]) {
  const a = readDump(fa);
  const b = readDump(fb);
  const lines = [];
  let differing = 0;
  const scenarios = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const sc of scenarios) {
    if (!(sc in a) || !(sc in b)) {
      lines.push(`scenario ${sc}: only in ${sc in a ? 'A' : 'B'} (${(a[sc] ?? b[sc]).length} entries)`);
      differing++;
      continue;
    }
    if (isDeepStrictEqual(a[sc], b[sc])) continue;
    differing++;
    const keyOf = (x) => x.key ?? x.label;
    const ka = new Map(a[sc].map((s) => [keyOf(s), s]));
    const kb = new Map(b[sc].map((s) => [keyOf(s), s]));
    const head = `scenario ${sc} (${a[sc].length} vs ${b[sc].length} entries):`;
    const sub = [];
    for (const k of ka.keys()) if (!kb.has(k)) sub.push(`  - only in A: ${k}`);
    for (const k of kb.keys()) if (!ka.has(k)) sub.push(`  + only in B: ${k}`);
    for (const [k, s] of ka) {
      if (!kb.has(k)) continue;
      const d = [];
      fieldDiffs(s, kb.get(k), '', d);
      for (const x of d) sub.push(`  ~ ${k} ${x}`);
    }
    if (!sub.length) sub.push('  same entries, different order');
    lines.push(head, ...sub.slice(0, 60));
    if (sub.length > 60) lines.push(`  … and ${sub.length - 60} more differences in this scenario`);
  }
  const real = (d) => Object.entries(d).filter(([k]) => !k.startsWith('@'));
  const count = (d) => real(d).reduce((n, [, v]) => n + v.filter((s) => s.key !== '@error').length, 0);
  console.log(`A: ${fa} (${real(a).length} scenarios, ${count(a)} spans)`);
  console.log(`B: ${fb} (${real(b).length} scenarios, ${count(b)} spans)`);
  if (!differing) {
    console.log('identical: every scenario has the same normalised spans');
    return 0;
  }
  console.log(lines.join('\n'));
  console.log(`${differing} of ${scenarios.length} scenarios differ`);
  return 1;
}

// ------------------------------------------------------------------------------------------- main

const opts = parseArgs(process.argv.slice(2));
if (opts.compare) process.exit(compare(opts.compare));
if (!opts.repo || !opts.out) usage('--repo and --out are required (or --compare a b)');
dump(opts).catch((err) => {
  note(err?.stack ?? String(err));
  process.exit(2);
});
