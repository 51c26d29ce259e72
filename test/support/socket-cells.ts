// The differential a WebSocket cell suite runs: the same scenarios in one cell without and with the
// instrumentation, each against a fresh emulator with the same seed (so ids and texts match), and the
// check that the app saw exactly the same.
import assert from 'node:assert/strict';
import { before } from 'node:test';
import { runCell, type Cell, type CellRun, type ScenarioSpec } from '../harness/run-cell';
import { emulatorPerRun } from './emulators';

/** Registers the two runs of `cell` (node:test hooks); read them from a test, after `before` ran. */
export function runBothWays(cell: Cell, scenarios: ScenarioSpec[], seed: number): { traced(): CellRun; baseline(): CellRun } {
  const fresh = emulatorPerRun({ seed, pollAfterMs: 1 });
  let traced: CellRun | undefined;
  let baseline: CellRun | undefined;
  before(async () => {
    baseline = await runCell(cell, { scenarios, baseURL: (await fresh()).baseURL, instrument: false });
    traced = await runCell(cell, { scenarios, baseURL: (await fresh()).baseURL });
  });
  return { traced: () => traced!, baseline: () => baseline! };
}

/** The scenario ran without error, returned the same, threw the same unhandled errors, and logged no diag; its result. */
export function assertSameAppView(runs: { traced(): CellRun; baseline(): CellRun }, name: string): Record<string, unknown> {
  const a = runs.traced().scenarios[name]!;
  const b = runs.baseline().scenarios[name]!;
  assert.equal(a.error, undefined, JSON.stringify(a.error));
  assert.deepEqual(a.result, b.result);
  assert.deepEqual(a.unhandled, b.unhandled);
  assert.deepEqual(a.diag, []);
  return a.result;
}
