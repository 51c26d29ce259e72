#!/usr/bin/env node
// `npm run fixtures:sync`: refreshes the recorded sessions vendored in test/fixtures/recordings from the
// team's recordings shelf, byte for byte. The set of recordings is the vendored folder itself: every
// .yml/.yaml file under it (what listCassettes() in test/replay/cassette.ts reads), so there is no
// second list to keep in step.
//   node scripts/sync-fixtures.mjs --from DIR            copy changed recordings from the shelf DIR
//   ... --dry-run                                       only report
//   ... --add <folder>/<file>.yaml [--add ...]          also vendor a recording from the shelf (path relative to DIR)
//   ... --semconv-from DIR                              also refresh test/fixtures/semconv/<version>/ from the semconv
//                                                       shelf DIR/<version>/: the files already vendored there (the ones
//                                                       test/support/conformance-model.ts reads), same paths
// `npm run fixtures:sync` passes `--from` with the shelf's usual place beside the checkout (see package.json);
// `npm run fixtures:sync -- --from DIR` points it elsewhere (the last --from wins).
// Reports each recording as added, changed or unchanged, lists shelf recordings that are not vendored,
// and never deletes: a recording gone from the shelf is reported and kept. Exits 1 on a usage error or
// when the shelf is not there.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const VENDORED = path.join(ROOT, 'test/fixtures/recordings');
const SOURCES = path.join(VENDORED, 'SOURCES.md');
const IS_RECORDING = /\.ya?ml$/;

function fail(message) {
  console.error(`[fixtures:sync] ${message}`);
  process.exit(1);
}
function usage(message) {
  console.error('usage: node scripts/sync-fixtures.mjs --from <shelf dir> [--dry-run] [--add <folder>/<file>.yaml ...]');
  fail(message);
}

let from;
let semconvFrom;
let dryRun = false;
const add = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--dry-run') dryRun = true;
  else if (a === '--from' || a === '--add' || a === '--semconv-from') {
    const value = argv[++i];
    if (!value) usage(`${a} needs a value`);
    if (a === '--from') from = value;
    else if (a === '--semconv-from') semconvFrom = value;
    else add.push(value.split(path.sep).join('/'));
  } else usage(`unknown argument ${a}`);
}
if (!from) usage('say where the shelf is: --from <dir> (npm run fixtures:sync passes the usual place)');
const SHELF = path.resolve(from);
if (!existsSync(SHELF) || !statSync(SHELF).isDirectory()) {
  fail(`no recordings shelf at ${SHELF}: nothing to sync (the tests need only the vendored copies in ${path.relative(process.cwd(), VENDORED) || '.'})`);
}

/** Recordings under dir, as '/'-separated paths relative to it, sorted. */
function recordings(dir, rel = '') {
  const out = [];
  for (const entry of readdirSync(path.join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${entry}` : entry;
    if (statSync(path.join(dir, r)).isDirectory()) out.push(...recordings(dir, r));
    else if (IS_RECORDING.test(entry)) out.push(r);
  }
  return out;
}

const vendored = recordings(VENDORED);
const onShelf = new Set(recordings(SHELF));
for (const rel of add) {
  if (!IS_RECORDING.test(rel) || !rel.includes('/')) usage(`--add ${rel}: expected <folder>/<file>.yml|.yaml, as on the shelf`);
  if (!onShelf.has(rel)) fail(`--add ${rel}: not on the shelf (${SHELF})`);
}

const report = { added: [], changed: [], unchanged: [], missing: [] };
for (const rel of [...new Set([...vendored, ...add])].sort()) {
  const src = path.join(SHELF, rel);
  const dest = path.join(VENDORED, rel);
  if (!onShelf.has(rel)) {
    report.missing.push(rel);
    continue;
  }
  const isNew = !existsSync(dest);
  if (!isNew && readFileSync(src).equals(readFileSync(dest))) {
    report.unchanged.push(rel);
    continue;
  }
  if (!dryRun) {
    mkdirSync(path.dirname(dest), { recursive: true });
    copyFileSync(src, dest);
  }
  report[isNew ? 'added' : 'changed'].push(rel);
}
const notVendored = [...onShelf].filter((rel) => !vendored.includes(rel) && !add.includes(rel));

// SOURCES.md names each recording by its upstream path (the file name with `__` read as `/`).
const sources = existsSync(SOURCES) ? readFileSync(SOURCES, 'utf8') : '';
const undocumented = [...vendored, ...report.added].filter((rel, i, all) => all.indexOf(rel) === i).filter((rel) => !sources.includes(path.posix.basename(rel).replaceAll('__', '/')));

const list = (title, items, hint = '') => {
  if (items.length === 0) return;
  console.log(`${title} (${items.length})${hint}:`);
  for (const rel of items) console.log(`  ${rel}`);
};
const verb = dryRun ? 'would be ' : '';
console.log(`[fixtures:sync] ${path.relative(ROOT, VENDORED)} <- ${SHELF}${dryRun ? ' (dry run: nothing written)' : ''}`);
list(`${verb}added`, report.added);
list(`${verb}changed`, report.changed);
list('missing on the shelf, kept as vendored', report.missing);
list('on the shelf, not vendored', notVendored, ' (vendor one with --add <path>)');
list('not described in test/fixtures/recordings/SOURCES.md', undocumented, ' (add its upstream repository, commit, path and licence)');
console.log(
  `[fixtures:sync] ${report.added.length} ${verb}added, ${report.changed.length} ${verb}changed, ${report.unchanged.length} unchanged, ` +
    `${report.missing.length} missing on the shelf, ${notVendored.length} on the shelf not vendored`,
);
if (!dryRun && report.added.length + report.changed.length > 0) {
  console.log('[fixtures:sync] review with `git diff --stat test/fixtures/recordings` and update SOURCES.md (commit, changes) to match');
}
if (semconvFrom) syncSemconv(path.resolve(semconvFrom));

/** The semantic conventions the conformance checker reads: every vendored file but our SOURCES.md and the licence. */
function syncSemconv(shelf) {
  const base = path.join(ROOT, 'test/fixtures/semconv');
  const counts = { changed: 0, unchanged: 0, missing: 0 };
  for (const version of readdirSync(base)) {
    const files = (function walk(rel) {
      return readdirSync(path.join(base, version, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.posix.join(rel, e.name)) : [path.posix.join(rel, e.name)]));
    })('').filter((rel) => rel !== 'SOURCES.md' && rel !== 'LICENSE');
    for (const rel of files) {
      const src = path.join(shelf, version, rel);
      const dest = path.join(base, version, rel);
      if (!existsSync(src)) {
        counts.missing++;
        console.log(`  missing on the semconv shelf, kept: ${version}/${rel}`);
      } else if (readFileSync(src).equals(readFileSync(dest))) counts.unchanged++;
      else {
        counts.changed++;
        console.log(`  ${dryRun ? 'would be ' : ''}changed: ${version}/${rel}`);
        if (!dryRun) copyFileSync(src, dest);
      }
    }
  }
  console.log(`[fixtures:sync] test/fixtures/semconv <- ${shelf}: ${counts.changed} changed, ${counts.unchanged} unchanged, ${counts.missing} missing on the shelf`);
}
