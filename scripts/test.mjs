#!/usr/bin/env node
// `npm test` after the build: installs the matrix (scripts/setup-matrix.mjs), then runs every test/**/*.test.ts
// with node's test runner on this node (Node 20; the cells' children run on Node 20 or 22 themselves).
//   node scripts/test.mjs                      all test files
//   node scripts/test.mjs test/harness.test.ts  only these files
//   --skip-setup                               don't run setup-matrix first
//   SPANLENS_CELLS="otel3 esm,node20 openai4"  only these cells (see test/harness/run-cell.ts)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const argv = process.argv.slice(2);
const skipSetup = argv.includes('--skip-setup');
const requested = argv.filter((a) => !a.startsWith('--'));

if (process.versions.node.split('.')[0] !== '20') {
  console.warn(`[test] WARNING: running on node ${process.version}; the node-20 cells run on this same binary`);
}

if (!skipSetup) {
  const setup = spawnSync(process.execPath, [path.join(root, 'scripts/setup-matrix.mjs')], { stdio: 'inherit', cwd: root });
  if (setup.status !== 0) {
    console.error(`[test] setup-matrix failed (${setup.status ?? setup.signal})`);
    process.exit(setup.status || 1);
  }
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
console.log(`[test] ${files.length} test file(s): ${files.join(' ')}`);
const started = Date.now();
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  cwd: root,
});
console.log(`[test] test runner finished in ${((Date.now() - started) / 1000).toFixed(1)}s`);
process.exit(run.status ?? 1);
