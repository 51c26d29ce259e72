// Pricing one call: the first for a model (resolved through @pydantic/genai-prices' matching and data)
// against the cached ones after it, and genai-prices' own calcPrice per call for comparison. In-process,
// on the built package; a micro-benchmark that reports numbers, not a timed test.
import { createRequire } from 'node:module';
import path from 'node:path';

const MODELS = ['gpt-5.6-luna', 'gpt-4o-mini', 'gpt-realtime', 'gpt-5.5-2026-04-23', 'text-embedding-3-small', 'o4-mini'];
const USAGE = { input: 12_000, cachedInput: 4_000, output: 800, audioInput: 0, audioOutput: 0 };

const nowUs = () => Number(process.hrtime.bigint()) / 1000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** { loadMs, firstUs, cachedUs, calcPriceUs } measured with the build at `pkgDir`. */
export function benchPricing(pkgDir, { quick }) {
  const require = createRequire(path.join(pkgDir, 'package.json'));
  const { Pricing } = require(path.join(pkgDir, 'dist/cjs/cost/index.js'));
  let t = nowUs();
  new Pricing({ env: {} }).costNanos('gpt-4o', USAGE); // loads the price package: once per process
  const loadMs = (nowUs() - t) / 1000;

  // First call per model: a fresh Pricing (empty cache) for each sample.
  const first = [];
  for (let round = 0; round < (quick ? 20 : 200); round++) {
    const p = new Pricing({ env: {} });
    for (const m of MODELS) {
      t = nowUs();
      p.costNanos(m, USAGE);
      first.push(nowUs() - t);
    }
  }
  // Cached: the same Pricing, models in turn, batches of calls timed together.
  const p = new Pricing({ env: {} });
  const n = quick ? 200_000 : 2_000_000;
  const batches = [];
  let sink = 0;
  for (let b = 0; b < 10; b++) {
    t = nowUs();
    for (let i = 0; i < n / 10; i++) sink += p.costNanos(MODELS[i % MODELS.length], USAGE)?.total ?? 0;
    batches.push((nowUs() - t) / (n / 10));
  }
  const { calcPrice } = require('@pydantic/genai-prices');
  const direct = [];
  const genaiUsage = { input_tokens: 12_000, cache_read_tokens: 4_000, output_tokens: 800 };
  for (let i = 0; i < (quick ? 2_000 : 20_000); i++) {
    t = nowUs();
    calcPrice(genaiUsage, MODELS[i % MODELS.length], { providerId: 'openai' });
    direct.push(nowUs() - t);
  }
  if (sink < 0) console.log(sink);
  return { loadMs, firstUs: median(first), cachedUs: median(batches), calcPriceUs: median(direct) };
}
