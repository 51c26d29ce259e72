#!/usr/bin/env node
// `npm test` after the build: installs the matrix (scripts/setup-matrix.mjs), then runs every test/**/*.test.ts
// with node's test runner on this node (Node 20; the cells' children run on Node 20 or 22 themselves).
//   node scripts/test.mjs                      all test files
//   node scripts/test.mjs test/harness.test.ts  only these files
//   --skip-setup                               don't run setup-matrix first
//   SPANLENS_CELLS="otel3 esm,node20 openai4"  only these cells (see test/harness/run-cell.ts)
//   SPANLENS_SKIP_E2E=1                        skip test/e2e (no Go toolchain needed; checked up front otherwise)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const skipSetup = argv.includes('--skip-setup');
const requested = argv.filter((a) => !a.startsWith('--'));

if (process.versions.node.split('.')[0] !== '20') {
  console.warn(`[test] WARNING: running on node ${process.version}; the node-20 cells run on this same binary`);
}

function testFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (full !== path.join(root, 'test/matrix')) out.push(...testFiles(full));
    } else if (entry.name.endsWith('.test.ts')) {
      out.push(path.relative(root, full));
    }
  }
  return out.sort();
}

const files = requested.length > 0 ? requested : testFiles(path.join(root, 'test'));
if (files.length === 0) {
  console.error('[test] no test files found under test/');
  process.exit(1);
}
// The e2e suites build their backends with Go: say so now, not after the other suites have run.
const e2eFiles = files.filter((f) => path.relative(root, path.resolve(root, f)).split(path.sep).join('/').startsWith('test/e2e/'));
if (e2eFiles.length > 0 && process.env.SPANLENS_SKIP_E2E !== '1') {
  const { goEnv } = await import('../test/e2e/backends.mjs');
  try {
    goEnv();
  } catch (err) {
    console.error(`[test] ${err.message}`);
    console.error(`[test] needed by: ${e2eFiles.join(' ')}`);
    process.exit(1);
  }
}

if (!skipSetup) {
  const setup = spawnSync(process.execPath, [path.join(root, 'scripts/setup-matrix.mjs')], { stdio: 'inherit', cwd: root });
  if (setup.status !== 0) {
    console.error(`[test] setup-matrix failed (${setup.status ?? setup.signal})`);
    process.exit(setup.status || 1);
  }
}

console.log(`[test] ${files.length} test file(s): ${files.join(' ')}`);
const started = Date.now();
// Every cell run (test/harness/run-cell.ts) and e2e export scan appends what it scanned for secrets here.
const ledgerDir = mkdtempSync(path.join(os.tmpdir(), 'spanlens-secrets-'));
const ledger = path.join(ledgerDir, 'ledger.jsonl');
// ...and every cell failure (test/harness/run-cell.ts), printed again at the end where a CI log's tail shows it.
const failures = path.join(ledgerDir, 'failures.jsonl');
// ...and every cell's GenAI semantic-conventions check (test/harness/run-cell.ts; SPANLENS_CONFORMANCE=0: off).
const conformance = path.join(ledgerDir, 'conformance.jsonl');
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, SPANLENS_SECRET_LEDGER: ledger, SPANLENS_FAILURE_LOG: failures, SPANLENS_CONFORMANCE_LEDGER: conformance },
});
console.log(`[test] test runner finished in ${((Date.now() - started) / 1000).toFixed(1)}s`);
const scans = existsSync(ledger)
  ? readFileSync(ledger, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  : [];
const checked = existsSync(conformance)
  ? readFileSync(conformance, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  : [];
const failed = existsSync(failures)
  ? readFileSync(failures, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  : [];
rmSync(ledgerDir, { recursive: true, force: true });
// On a failed run only: harness.test.ts makes cells fail on purpose.
if (run.status !== 0) {
  for (const f of failed) console.error(`[test] cell error in ${f.test}: ${f.message}\n${f.stderr.trim().split('\n').slice(-15).join('\n')}\n`);
}
const spans = scans.reduce((n, s) => n + s.spans, 0);
const hits = scans.reduce((n, s) => n + s.hits, 0);
const e2e = scans.filter((s) => s.source.startsWith('e2e'));
console.log(
  `[test] secret scan: ${spans} exported spans scanned in ${scans.length} exports (${e2e.reduce((n, s) => n + s.spans, 0)} of them from Jaeger in ${e2e.length} e2e exports): ${hits} hit(s) of the API key, organization, project or auth headers`,
);
let status = run.status ?? 1;
if (hits > 0) status ||= 1;
// Semantic conventions: totals, and per rule when any (the ledger entries name the cells and examples).
const violations = checked.reduce((n, c) => n + c.violations, 0);
console.log(`[test] semconv conformance: ${checked.reduce((n, c) => n + c.spans, 0)} spans of ${checked.length} cell runs checked: ${violations} violation(s)`);
if (violations > 0) {
  const rules = {};
  for (const c of checked) for (const [rule, n] of Object.entries(c.rules)) rules[rule] = (rules[rule] ?? 0) + n;
  for (const [rule, n] of Object.entries(rules).sort((a, b) => b[1] - a[1])) console.error(`[test]   ${n} × ${rule}`);
  // One example per rule, with where it was seen, so a CI log's tail says what to fix.
  const shown = new Set();
  for (const c of checked) {
    for (const v of c.examples ?? []) {
      const rule = `${v.rule} ${v.attribute ?? ''}`.trim();
      if (shown.has(rule)) continue;
      shown.add(rule);
      console.error(`[test]   e.g. ${rule} in ${c.test} (${c.source}): ${v.span}: ${v.detail ?? ''} ${v.value ?? ''}`.slice(0, 600));
    }
  }
  status ||= 1;
}
// A scan that saw nothing proves nothing: when cells ran, they must have exported spans.
if (scans.length > 0 && spans === 0) {
  console.error('[test] secret scan saw no spans at all');
  status ||= 1;
}
process.exit(status);
