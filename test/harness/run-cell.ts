// Parent side of the cell harness: runs scenario modules inside a child process that is a real app for
// one matrix cell (node line × openai major × OTel line × module format), and returns what it recorded.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe } from 'node:test';
import { checkSpans, type Violation } from '../support/conformance';
import { checkMetrics } from '../support/conformance-metrics';
import * as matrix from './matrix.mjs';

export type Cell = { readonly node: '20' | '22'; readonly openai: 4 | 5 | 6 | 7; readonly otel: 2 | 3; readonly format: 'cjs' | 'esm' };

export const CELLS = matrix.CELLS as readonly Cell[];
export const cellName: (cell: Cell) => string = matrix.cellName;

const HERE = __dirname;

export interface ScenarioSpec {
  name: string;
  /** Absolute path of an ES module whose default export is `async (ctx) => result`. */
  module: string;
  /** Handed to the scenario as ctx.args (JSON). */
  args?: unknown;
}

export interface RunCellOptions {
  scenarios: ScenarioSpec[];
  /** Extra environment for the child (OPENAI_* and NODE_OPTIONS from the parent are dropped). */
  env?: Record<string, string>;
  /** new OpenAIInstrumentation(instrumentationConfig) */
  instrumentationConfig?: Record<string, unknown>;
  /** Use the package's ThreadTraceIdGenerator when it exports one (default true). */
  idGenerator?: boolean;
  /** false: the same app without the instrumentation registered (baseline for differential tests). */
  instrument?: boolean;
  /**
   * Why this run's spans are left out of the semantic-conventions check: only for a config that breaks the
   * conventions on purpose (a redaction hook that rewrites message JSON into plain text).
   */
  notConformingBecause?: string;
  /** ctx.baseURL and the default baseURL of ctx.makeClient(). */
  baseURL?: string;
  /**
   * ESM cells: how the app registers the import-in-the-middle loader hook. 'include' (default): only modules a
   * Hook asked for are wrapped (createAddHookMessageChannel, as auto-instrumentations-node/register does);
   * 'all': `register('@opentelemetry/instrumentation/hook.mjs')` as the OTel docs show, wrapping every module.
   */
  esmHook?: 'include' | 'all';
  /** Kill the child after this long (default 120 s). */
  timeoutMs?: number;
}

export interface SpanJSON {
  name: string;
  kind: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  startMs: number;
  endMs: number;
  durationMs: number;
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message?: string };
  attributes: Record<string, unknown>;
  events: { name: string; timeMs: number; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  scope?: string;
}

export interface Recorded {
  diag: { level: 'WARN' | 'ERROR'; message: string }[];
  unhandled: { kind: string; name?: string; message?: string; stack?: string }[];
  /** console.* calls and process warnings in the child (still printed to its stdout/stderr). */
  console: { method: string; text: string }[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- by default a scenario's result is JSON the tests read loosely
export interface ScenarioResult<R = any> extends Recorded {
  result: R;
  error?: { name?: string; className?: string; message?: string; status?: number; code?: unknown; stack?: string; cause?: unknown };
  spans: SpanJSON[];
}

export interface CellSetup extends Recorded {
  idGenerator: string;
  esmHook?: 'include' | 'all';
  packageEntry: string;
  openaiEntry: string;
  openaiVersion: string;
  packagePath: string;
  instrumentationVersion: string;
  apiVersion: string;
  packageApiVersion: string;
}

export interface CellRun {
  node: string;
  /** Metrics exported at the end of the cell (cumulative), one entry per metric. */
  metrics: Array<{ name: string; unit: string; scope: string; points: Array<{ attributes: Record<string, unknown>; value: number | { sum: number; count: number } }> }>;
  /** Spans started and ended in the child (after the instrumentation was disabled at the end). */
  spanCounts: { started: number; ended: number; open: string[] };
  /** Every finished span of the child scanned for the harness's API key, organization, project and auth headers. */
  secretScan: { spans: number; hits: { pattern: string; span: string; scenario?: string }[] };
  setup: CellSetup;
  scenarios: Record<string, ScenarioResult>;
  stderr: string;
}

export class CellError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(`${message}\n--- child stderr ---\n${stderr}`);
    this.name = 'CellError';
    recordFailure(message, stderr);
  }
}

/**
 * A cell that fails in a `before` hook cancels its tests, and the runner prints why far up a long log.
 * scripts/test.mjs (SPANLENS_FAILURE_LOG) prints every cell failure again at the end, where CI shows it.
 */
function recordFailure(message: string, stderr: string): void {
  const log = process.env.SPANLENS_FAILURE_LOG;
  if (!log) return;
  try {
    appendFileSync(log, JSON.stringify({ test: testFile(), message, stderr: stderr.slice(-2000) }) + '\n');
  } catch {
    // the report is a convenience; the error itself still reaches the runner
  }
}

/** Runs the scenarios, in order, in one fresh child process for the cell. */
/**
 * The redacting config (scenarios/redacting-config.mjs): its hook tags every captured value, message JSON
 * too, turning it into plain text on purpose, so those spans are left out of the conventions check.
 */
export const REDACTING_CONFIG: Pick<RunCellOptions, 'env' | 'notConformingBecause'> = {
  env: { SPANLENS_TEST_CONFIG_MODULE: path.resolve(HERE, '../scenarios/redacting-config.mjs') },
  notConformingBecause: 'the hook prefixes every value, message JSON too: the user chose plain text',
};

export async function runCell(cell: Cell, options: RunCellOptions): Promise<CellRun> {
  const node = matrix.nodeBin(cell.node);
  const consumerDir = matrix.consumerDir(cell);
  const openaiDir = matrix.openaiDir(cell);
  for (const [what, p] of [
    ['node binary', node],
    ['consumer dir', path.join(consumerDir, 'node_modules')],
    ['openai dir', path.join(openaiDir, 'node_modules/openai')],
  ]) {
    if (!existsSync(p)) throw new Error(`${cellName(cell)}: missing ${what} ${p} — run \`node scripts/setup-matrix.mjs\``);
  }

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'spanlens-cell-'));
  const argsPath = path.join(tmp, 'args.json');
  const resultsPath = path.join(tmp, 'results.json');
  await writeFile(
    argsPath,
    JSON.stringify({
      cell,
      consumerDir,
      openaiDir,
      scenarios: options.scenarios,
      instrumentationConfig: options.instrumentationConfig,
      idGenerator: options.idGenerator,
      instrument: options.instrument,
      esmHook: options.esmHook,
      baseURL: options.baseURL,
    }),
  );

  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('OPENAI_') || key === 'NODE_OPTIONS' || key === 'NODE_TEST_CONTEXT') delete env[key];
  }
  Object.assign(env, options.env);

  // SPANLENS_CHILD_NODE_FLAGS: extra node/V8 flags for the child (e.g. --gc-interval=500 to stress collection)
  const flags = process.env.SPANLENS_CHILD_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
  const child = spawn(node, [...flags, path.join(HERE, cell.format === 'esm' ? 'child.mjs' : 'child.cjs'), argsPath, resultsPath], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const output = () => stderr + (stdout ? `\n--- child stdout ---\n${stdout}` : '');

  const timeoutMs = options.timeoutMs ?? 120_000;
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        const last =
          stdout
            .trim()
            .split('\n')
            .filter((l) => l.startsWith('[child]'))
            .at(-1) ?? 'before any scenario';
        reject(new CellError(`${cellName(cell)}${options.instrument === false ? ' (uninstrumented)' : ''}: child timed out after ${timeoutMs} ms (killed pid ${child.pid}), in ${last}`, output()));
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new CellError(`${cellName(cell)}: could not start ${node}: ${err.message}`, output()));
      });
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    if (code !== 0 || !existsSync(resultsPath)) {
      throw new CellError(`${cellName(cell)}: child exited ${code}${existsSync(resultsPath) ? '' : ' without results'}`, output());
    }
    const results = JSON.parse(await readFile(resultsPath, 'utf8'));
    // Invariants every cell must keep, whatever the test: every started span ended, none twice.
    const counts = results.spanCounts;
    if (counts && counts.started !== counts.ended) {
      throw new CellError(`${counts.started - counts.ended} span(s) never ended: ${counts.open.join(', ')}`, stderr);
    }
    // No exported span may carry the API key, the organization / project ids or auth headers. Totals go
    // to the suite's ledger (SPANLENS_SECRET_LEDGER, set by scripts/test.mjs), which prints and checks them.
    const scan = results.secretScan as CellRun['secretScan'];
    await recordSecretScan(`${cellName(cell)}${options.instrument === false ? ' (uninstrumented)' : ''}`, scan);
    if (scan.hits.length) {
      throw new CellError(`secrets in exported spans: ${JSON.stringify(scan.hits.slice(0, 5))}`, stderr);
    }
    if (options.instrument !== false && !options.notConformingBecause) await recordConformance(cellName(cell), results as CellRun);
    const warnings = [results.setup, ...Object.values(results.scenarios)].flatMap((r) => r.diag ?? []);
    const twice = warnings.filter((d) => /ended Span/i.test(d.message));
    if (twice.length) throw new CellError(`span operations after end: ${twice[0]!.message}`, stderr);
    return { ...results, stderr };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The test file this process runs (node --test runs one per process), for the suite's reports. */
function testFile(): string {
  return path.basename(process.argv.find((a) => a.endsWith('.test.ts')) ?? process.env.NODE_TEST_CONTEXT ?? '');
}

/** Appends one scan's totals to the suite's ledger (a JSONL file), when the suite keeps one. */
export async function recordSecretScan(source: string, scan: { spans: number; hits: unknown[] }): Promise<void> {
  const ledger = process.env.SPANLENS_SECRET_LEDGER;
  if (!ledger) return;
  await appendFile(ledger, JSON.stringify({ source, test: testFile(), spans: scan.spans, hits: scan.hits.length }) + '\n');
}

/**
 * Checks every span the cell's scenarios exported, and its metrics, against the GenAI semantic conventions
 * (test/support/conformance.ts) and appends the count to the suite's ledger (SPANLENS_CONFORMANCE_LEDGER, set by
 * scripts/test.mjs, which prints the total and fails the run on any). The cell itself does not fail, so its own
 * assertions still report. SPANLENS_CONFORMANCE=0 turns the check off.
 */
async function recordConformance(source: string, run: CellRun): Promise<void> {
  const ledger = process.env.SPANLENS_CONFORMANCE_LEDGER;
  if (!ledger || process.env.SPANLENS_CONFORMANCE === '0') return;
  const spans = Object.values(run.scenarios).flatMap((s) => s.spans);
  // Fault scenarios (mutate:missing) strip the model from answers: a point can only carry what was answered.
  const violations: Violation[] = [...checkSpans(spans), ...checkMetrics(run.metrics, spans, { responseModelAlways: false })];
  const rules: Record<string, number> = {};
  for (const v of violations) rules[`${v.rule} ${v.attribute ?? ''}`.trim()] = (rules[`${v.rule} ${v.attribute ?? ''}`.trim()] ?? 0) + 1;
  await appendFile(ledger, JSON.stringify({ source, test: testFile(), spans: spans.length, violations: violations.length, rules, examples: violations.slice(0, 3) }) + '\n');
}

/**
 * Four cells that together cover every openai major, both OTel lines, CJS and ESM and both Node versions
 * (for checks of code that is the same in every cell, such as the content policy), within the selection.
 */
export function spreadCells(): readonly Cell[] {
  const names = ['node20 openai4 otel2 cjs', 'node22 openai7 otel3 esm', 'node20 openai6 otel2 esm', 'node22 openai5 otel3 cjs'];
  return selectedCells().filter((c) => names.includes(cellName(c)));
}

/**
 * Cells selected by SPANLENS_CELLS (comma-separated; each entry's words must all be words of the cell's
 * name, e.g. `SPANLENS_CELLS="otel3 esm,node20 openai4"`), or all of them.
 */
export function selectedCells(filter = process.env.SPANLENS_CELLS): readonly Cell[] {
  if (!filter?.trim()) return CELLS;
  const wanted = filter.split(',').map((e) => e.trim().split(/\s+/).filter(Boolean));
  return CELLS.filter((cell) => {
    const words = cellName(cell).split(' ');
    return wanted.some((w) => w.length > 0 && w.every((x) => words.includes(x)));
  });
}

/** node:test sugar: one `describe` per (selected) cell. */
export function forEachCell(fn: (cell: Cell) => void, cells: readonly Cell[] = selectedCells()): void {
  for (const cell of cells) describe(cellName(cell), () => fn(cell));
}
