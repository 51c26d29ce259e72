// The test matrix in one place: which consumer dirs exist, which node installs and runs them,
// and which cells (node × openai major × OTel line × module format) the suites run in.
// Plain JS so scripts/setup-matrix.mjs, the children and the TypeScript tests share it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MATRIX_DIR = path.join(ROOT, 'test/matrix');
export const PACK_DIR = path.join(MATRIX_DIR, '.pack');
/** The freshly packed package, under a fixed name the consumer dirs depend on (`file:../.pack/...`). */
export const TARBALL = path.join(PACK_DIR, 'spanlens-instrumentation-openai.tgz');
export const PACKAGE_NAME = '@spanlens/instrumentation-openai';

/** Where the Node 22 binary lands (the `node` npm package, pinned in test/matrix/node22). */
export const NODE22_DIR = path.join(MATRIX_DIR, 'node22');
export const NODE22_BIN = path.join(NODE22_DIR, 'node_modules/.bin/node');

/**
 * Every dir that setup-matrix installs, with the node whose npm installs it. That matters:
 * npm prefers versions whose `engines` accept the node running it, so the same package.json
 * resolves `@opentelemetry/instrumentation` to 0.2xx under Node 20 and to 0.30x under Node 22.
 * A user's app is installed by the node it runs on, so each consumer dir is too.
 */
export const INSTALL_DIRS = [
  { name: 'openai4', npmNode: '20' },
  { name: 'openai5', npmNode: '20' },
  { name: 'openai6', npmNode: '20' },
  { name: 'openai7', npmNode: '22' },
  { name: 'otel2', npmNode: '20', consumer: true },
  { name: 'otel2-node22', npmNode: '22', consumer: true },
  { name: 'otel3', npmNode: '22', consumer: true },
].map((d) => ({ ...d, dir: path.join(MATRIX_DIR, d.name) }));

/** The node binary for a cell's node line. Node 20 is the one running the tests (override: SPANLENS_NODE20). */
export function nodeBin(node) {
  if (node === '22') return process.env.SPANLENS_NODE22 || NODE22_BIN;
  if (node === '20') return process.env.SPANLENS_NODE20 || process.execPath;
  throw new Error(`unknown node line ${node}`);
}

/** The app dir a cell runs from: the OTel SDK, the API and our package as npm installed them there. */
export function consumerDir(cell) {
  if (cell.otel === 3) return path.join(MATRIX_DIR, 'otel3');
  if (cell.otel === 2) return path.join(MATRIX_DIR, cell.node === '22' ? 'otel2-node22' : 'otel2');
  throw new Error(`unknown OTel line ${cell.otel}`);
}

export function openaiDir(cell) {
  return path.join(MATRIX_DIR, `openai${cell.openai}`);
}

/**
 * The OpenAI Agents SDK in the matrix. The supported `@openai/agents-core` range (SUPPORTED_AGENTS_RANGE,
 * `>=0.3.8 <1`) needs openai 6 (0.3.8 … 0.x on `^6`) or 7 (`^7.2.0`), so the openai6 dir installs the oldest
 * supported `@openai/agents` and the openai7 dir the newest, pinned in their package.json next to the SDK
 * (npm dedupes the Agents SDK onto the cell's openai copy). openai 4 and 5 cells cannot run a supported
 * version: they are declared not applicable here, and the agents suite lists them as such.
 */
const AGENTS = {
  4: { notApplicable: 'no supported @openai/agents runs on openai 4 (0.3.8+ depends on openai ^6 or ^7)' },
  5: { notApplicable: 'no supported @openai/agents runs on openai 5 (0.3.8+ depends on openai ^6 or ^7)' },
  6: { bound: 'oldest supported' },
  7: { bound: 'newest' },
};

/**
 * The Agents SDK of a cell: `{ version, bound }` (the version pinned in its openai dir's package.json) or
 * `{ notApplicable: why }`.
 */
export function agentsFor(cell) {
  const entry = AGENTS[cell.openai];
  if (!entry) throw new Error(`no Agents SDK entry for openai ${cell.openai}`);
  if (entry.notApplicable) return entry;
  const pkg = JSON.parse(readFileSync(path.join(openaiDir(cell), 'package.json'), 'utf8'));
  const version = pkg.dependencies?.['@openai/agents'];
  if (!version) throw new Error(`test/matrix/openai${cell.openai}/package.json pins no @openai/agents`);
  return { version, bound: entry.bound };
}

function cells() {
  const out = [];
  for (const format of ['cjs', 'esm']) {
    for (const openai of [4, 5, 6, 7]) out.push({ node: openai === 7 ? '22' : '20', openai, otel: 2, format });
    for (const openai of [4, 5, 6, 7]) out.push({ node: '22', openai, otel: 3, format });
  }
  return out;
}

/** The 16 cells: OTel 2.x × {openai 4,5,6 on node 20; 7 on node 22}, OTel 3.x × openai 4–7 on node 22; × cjs/esm. */
export const CELLS = Object.freeze(cells().map((c) => Object.freeze(c)));

export function cellName(cell) {
  return `node${cell.node} openai${cell.openai} otel${cell.otel} ${cell.format}`;
}

/** Every installed copy of a package under dir's node_modules (nested ones too): [{ version, path }]. */
export function packageCopies(dir, name) {
  const found = [];
  const walk = (nm) => {
    if (!existsSync(nm)) return;
    const own = path.join(nm, name, 'package.json');
    if (existsSync(own)) found.push({ version: JSON.parse(readFileSync(own, 'utf8')).version, path: path.dirname(own) });
    for (const entry of readdirSync(nm)) {
      if (entry.startsWith('.')) continue;
      const full = path.join(nm, entry);
      if (!statSync(full).isDirectory()) continue;
      const pkgs = entry.startsWith('@') ? readdirSync(full).map((e) => path.join(full, e)) : [full];
      for (const p of pkgs) walk(path.join(p, 'node_modules'));
    }
  };
  walk(path.join(dir, 'node_modules'));
  return found;
}

/** What npm resolved in a consumer dir, for the setup summary and the resolution tests. */
export function resolution(dir) {
  const pick = (name) => packageCopies(dir, name).map((c) => ({ name, ...c, path: path.relative(dir, c.path) }));
  return {
    api: pick('@opentelemetry/api'),
    instrumentation: pick('@opentelemetry/instrumentation'),
    sdk: [...pick('@opentelemetry/sdk-trace-base'), ...pick('@opentelemetry/sdk-trace')],
    ours: pick(PACKAGE_NAME),
  };
}
