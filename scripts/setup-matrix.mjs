#!/usr/bin/env node
// Installs the test matrix: a Node 22 binary, one dir per openai major, and the consumer dirs that
// install the freshly packed package as a user would (from `npm pack`, against each OTel line).
// Idempotent: a dir whose inputs (its package.json, the installing node, our package's dependency
// fields) are unchanged is not reinstalled, but the consumer dirs always get the new tarball.
// Expects dist/ to be built (`npm run build`). Usage: node scripts/setup-matrix.mjs
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { INSTALL_DIRS, NODE22_BIN, NODE22_DIR, PACK_DIR, PACKAGE_NAME, ROOT, TARBALL, nodeBin, resolution } from '../test/harness/matrix.mjs';

const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline'];
const STAMP = '.spanlens-setup.json';
const t0 = Date.now();
const secs = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;
const log = (msg) => console.log(`[setup-matrix] ${msg}`);

/** npm's own JS entry, so it can be run by a chosen node binary (npm picks versions by that node's engines). */
function npmCli() {
  const candidates = [process.env.npm_execpath];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'npm'))) candidates.push(realpathSync(path.join(dir, 'npm')));
  }
  candidates.push(path.join(path.dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js'));
  for (const c of candidates) {
    if (c && /\.c?js$/.test(c) && existsSync(c)) return c;
  }
  throw new Error('cannot find npm-cli.js (looked at npm_execpath, npm on PATH, next to node)');
}
const NPM_CLI = npmCli();

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (d) => ((out += d), (stdout += d)));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(opts.stdoutOnly ? stdout : out);
      else reject(new Error(`${cmd} ${args.join(' ')} (in ${opts.cwd ?? process.cwd()}) exited ${code}:\n${out}`));
    });
  });
}

/** Runs npm under the given node binary (its dir first on PATH too, for lifecycle scripts). */
function npm(node, args, cwd, opts = {}) {
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}` };
  delete env.npm_config_engine_strict; // the matrix installs Node 22-only packages with Node 20's npm (warned, by design)
  return run(node, [NPM_CLI, ...args], { cwd, env, ...opts });
}

/** npm's noteworthy lines: peer/engine/resolution warnings, minus the machine's harmless config noise. */
function warnings(out) {
  return out
    .split('\n')
    .filter((l) => /^npm (warn|error)/i.test(l) && !/Unknown (user|env) config "nodedir"/.test(l))
    .map((l) => l.trim());
}

function hash(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(String(p)).update('\0');
  return h.digest('hex').slice(0, 16);
}

const readStamp = (dir) => {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'node_modules', STAMP), 'utf8'));
  } catch {
    return undefined;
  }
};
const writeStamp = (dir, stamp) => writeFileSync(path.join(dir, 'node_modules', STAMP), JSON.stringify(stamp) + '\n');

async function nodeVersion(bin) {
  return (await run(bin, ['-v'])).trim();
}

const installedDir = (dir) => path.join(dir, 'node_modules', PACKAGE_NAME);

function replacePackage(dir) {
  const dest = installedDir(dir);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-xzf', TARBALL, '-C', dest, '--strip-components=1']);
}

/** The tests must run the build just packed: every built file equals the installed copy. */
function assertInstalledIsCurrent(dir) {
  const walk = (rel) => readdirSync(path.join(ROOT, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(rel, e.name)) : [path.join(rel, e.name)]));
  for (const f of walk('dist')) {
    const installed = path.join(installedDir(dir), f);
    if (!existsSync(installed) || readFileSync(path.join(ROOT, f), 'utf8') !== readFileSync(installed, 'utf8')) {
      throw new Error(`${path.relative(ROOT, dir)}: installed ${f} differs from the build (stale package under test)`);
    }
  }
}

/** Installs dir from scratch when its inputs changed; returns a one-line account and npm's warnings. */
async function ensureInstalled(dir, node, extraInput = '') {
  const version = await nodeVersion(node).catch(() => 'none');
  const inputs = hash(readFileSync(path.join(dir, 'package.json'), 'utf8'), version, extraInput);
  if (readStamp(dir)?.inputs === inputs && existsSync(path.join(dir, 'node_modules'))) {
    return { fresh: false, warnings: [] };
  }
  rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true });
  rmSync(path.join(dir, 'package-lock.json'), { force: true });
  const out = await npm(node, ['install', ...NPM_FLAGS], dir);
  writeStamp(dir, { inputs, node: version });
  return { fresh: true, warnings: warnings(out) };
}

async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]);
      }
    }),
  );
  return results;
}

async function main() {
  if (process.versions.node.split('.')[0] !== '20') {
    log(`WARNING: running under node ${process.version}; the node-20 dirs are meant to be installed by Node 20's npm`);
  }
  log(`npm: ${NPM_CLI}`);

  // 1. Node 22 (installed by the running node's npm; its preinstall fetches node-<platform> from the registry).
  let t = Date.now();
  const n22 = await ensureInstalled(NODE22_DIR, process.execPath);
  const v22 = await nodeVersion(NODE22_BIN).catch((e) => {
    throw new Error(`test/matrix/node22 did not produce a working ${NODE22_BIN}: ${e.message}`);
  });
  if (!v22.startsWith('v22.')) throw new Error(`${NODE22_BIN} is ${v22}, expected v22`);
  log(`node22: ${n22.fresh ? 'installed' : 'unchanged'} (${v22}) in ${secs(t)}`);
  for (const w of n22.warnings) log(`  node22: ${w}`);

  // 2. Pack the built package, as a publish would.
  t = Date.now();
  if (!existsSync(path.join(ROOT, 'dist/cjs/index.js'))) throw new Error('dist/ is not built: run `npm run build` first');
  mkdirSync(PACK_DIR, { recursive: true });
  const packed = JSON.parse(await npm(process.execPath, ['pack', '--json', '--pack-destination', PACK_DIR], ROOT, { stdoutOnly: true }));
  renameSync(path.join(PACK_DIR, packed[0].filename), TARBALL);
  log(`packed ${packed[0].id} (${packed[0].entryCount} files, ${packed[0].size} bytes) in ${secs(t)}`);

  // 3. openai dirs and consumer dirs, a few at a time.
  const ourPkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const ourDeps = JSON.stringify([ourPkg.dependencies, ourPkg.peerDependencies, ourPkg.peerDependenciesMeta, ourPkg.optionalDependencies]);
  const reports = await pool(INSTALL_DIRS, 3, async (d) => {
    const start = Date.now();
    const node = nodeBin(d.npmNode);
    const r = await ensureInstalled(d.dir, node, d.consumer ? ourDeps : '');
    let what = r.fresh ? 'installed' : 'unchanged';
    if (d.consumer && !r.fresh) {
      // Same inputs: swap in the new tarball's files. `npm install` of the same file: spec and version
      // is a no-op against the lockfile (it silently kept the old build). The package has no
      // dependencies of its own (peers only), so extracting it is what npm would have done.
      replacePackage(d.dir);
      what = 'tarball extracted';
    }
    if (d.consumer) assertInstalledIsCurrent(d.dir);
    if (d.consumer) {
      // npm's own verdict on the tree: `npm ls` exits non-zero on invalid (e.g. overridden peer) or missing packages.
      const ls = await npm(node, ['ls', '--all'], d.dir).then(
        () => [],
        (err) =>
          err.message
            .split('\n')
            .filter((l) => /invalid|missing|ELSPROBLEMS/.test(l))
            .map((l) => `npm ls: ${l.trim()}`),
      );
      r.warnings.push(...ls);
    }
    return { ...d, what, warnings: r.warnings, time: secs(start) };
  });

  for (const r of reports) {
    let detail = '';
    if (r.consumer) {
      const res = resolution(r.dir);
      const nested = (c) => (c.path.split('node_modules').length > 2 ? ` (nested: ${c.path})` : '');
      const list = (copies) => copies.map((c) => c.version + nested(c)).join(', ') || 'none';
      const sdk = res.sdk.map((c) => `${c.name.replace('@opentelemetry/', '')} ${c.version}${nested(c)}`).join(', ');
      detail = ` — instrumentation ${list(res.instrumentation)}; api ${list(res.api)}; ${sdk}`;
      if (res.api.length !== 1) detail += ` — WARNING: ${res.api.length} copies of @opentelemetry/api`;
    } else if (r.name.startsWith('openai')) {
      const version = (name) => JSON.parse(readFileSync(path.join(r.dir, 'node_modules', name, 'package.json'), 'utf8')).version;
      detail = ` — openai ${version('openai')}`;
      // The Agents SDK the dir installs next to it (test/harness/matrix.mjs agentsFor).
      if (existsSync(path.join(r.dir, 'node_modules/@openai/agents-core'))) detail += `, @openai/agents-core ${version('@openai/agents-core')}`;
    }
    log(`${r.name} (npm on node ${r.npmNode}): ${r.what} in ${r.time}${detail}`);
    for (const w of r.warnings) log(`  ${r.name}: ${w}`);
  }
  log(`done in ${secs(t0)}`);
}

main().catch((err) => {
  console.error(`[setup-matrix] FAILED: ${err.stack ?? err}`);
  process.exit(1);
});
