// The cost arithmetic, by hand. Every expected figure below is written as a literal and derived in the
// comment next to it from the USD-per-1M prices in src/cost/price-table.ts; none is computed by the code
// under test.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { formatNanos, nanosToUsd, Pricing, splitEvenly, UnknownModelWarnings, usdToNanos } from '../../src/cost';
import { MODEL_PRICES, PRICES_CHECKED_ON } from '../../src/cost/price-table';
import { CostModel, costAttributes } from '../../src/cost/cost-model';

const tmp = mkdtempSync(path.join(tmpdir(), 'spanlens-pricing-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function writeJson(name: string, content: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, content);
  return file;
}

// No SPANLENS_PRICING_FILE from the environment running the tests leaks into the bundled-table cases.
const bundled = () => new Pricing({ env: {}, maintained: false, onError: (m) => assert.fail(`unexpected pricing error: ${m}`) });

describe('the recorded usages', () => {
  it('gpt-4o-mini, 381 prompt (0 cached) + 88 completion tokens', () => {
    // 381 x 0.15/1e6 = 0.00005715; 88 x 0.60/1e6 = 0.0000528; total 0.00010995
    assert.deepEqual(bundled().cost('gpt-4o-mini', { input: 381, cachedInput: 0, output: 88 }), {
      inputUsd: 0.00005715,
      outputUsd: 0.0000528,
      toolsUsd: 0,
      totalUsd: 0.00010995,
    });
  });

  it('gpt-4-1106-preview, 663 + 53', () => {
    // 663 x 10/1e6 = 0.00663; 53 x 30/1e6 = 0.00159; total 0.00822
    assert.deepEqual(bundled().cost('gpt-4-1106-preview', { input: 663, output: 53 }), {
      inputUsd: 0.00663,
      outputUsd: 0.00159,
      toolsUsd: 0,
      totalUsd: 0.00822,
    });
  });

  it('gpt-4, 27 + 16', () => {
    // 27 x 30/1e6 = 0.00081; 16 x 60/1e6 = 0.00096; total 0.00177
    assert.deepEqual(bundled().cost('gpt-4', { input: 27, output: 16 }), {
      inputUsd: 0.00081,
      outputUsd: 0.00096,
      toolsUsd: 0,
      totalUsd: 0.00177,
    });
  });
});

describe('cached input', () => {
  it('is a subset of input: the uncached rest at the input rate, the cached part at the cached rate', () => {
    // gpt-4o-mini, 2000 input of which 1500 cached, 100 output:
    // (2000-1500) x 0.15 = 75; 1500 x 0.075 = 112.5; input 187.5/1e6 = 0.0001875
    // 100 x 0.60 = 60/1e6 = 0.00006; total 247.5/1e6 = 0.0002475
    assert.deepEqual(bundled().cost('gpt-4o-mini', { input: 2000, cachedInput: 1500, output: 100 }), {
      inputUsd: 0.0001875,
      outputUsd: 0.00006,
      toolsUsd: 0,
      totalUsd: 0.0002475,
    });
  });

  it('at 10% of input on gpt-5-nano', () => {
    // 10000 input, 8000 cached: 2000 x 0.05 = 100; 8000 x 0.005 = 40; input 140/1e6 = 0.00014
    // 500 output x 0.40 = 200/1e6 = 0.0002; total 0.00034
    const cost = bundled().cost('gpt-5-nano', { input: 10000, cachedInput: 8000, output: 500 });
    assert.equal(cost?.inputUsd, 0.00014);
    assert.equal(cost?.totalUsd, 0.00034);
  });

  it('is billed as input for a model without a cached price', () => {
    // gpt-4-1106-preview, 1000 input (600 cached, no discount) + 10 output:
    // 1000 x 10 = 10000/1e6 = 0.01; 10 x 30 = 300/1e6 = 0.0003; total 0.0103
    const cost = bundled().cost('gpt-4-1106-preview', { input: 1000, cachedInput: 600, output: 10 });
    assert.deepEqual(cost, { inputUsd: 0.01, outputUsd: 0.0003, toolsUsd: 0, totalUsd: 0.0103 });
    // gpt-4o-2024-05-13 had no cache discount either: 1000 x 5 = 0.005
    assert.equal(bundled().cost('gpt-4o-2024-05-13', { input: 1000, cachedInput: 1000, output: 0 })?.inputUsd, 0.005);
  });

  it('more cached than input (bad data) is capped at input, never billed twice', () => {
    // gpt-4o: 100 input, "200 cached": 100 x 1.25 = 125/1e6 = 0.000125
    assert.equal(bundled().cost('gpt-4o', { input: 100, cachedInput: 200, output: 0 })?.inputUsd, 0.000125);
  });

  it('missing, negative or non-finite counts count as zero', () => {
    const cost = bundled().cost('gpt-4o', { input: Number.NaN, cachedInput: -5, output: -1 });
    assert.deepEqual(cost, { inputUsd: 0, outputUsd: 0, toolsUsd: 0, totalUsd: 0 });
  });
});

describe('tool fees', () => {
  it('code interpreter per session, file search and web search per 1k calls', () => {
    // 2 sessions x 0.03 = 0.06; 3 file searches x 2.50/1000 = 0.0075; 1 web search x 10/1000 = 0.01
    // tools 0.0775; gpt-4.1 1000 in x 2 = 0.002, 500 out x 8 = 0.004; total 0.0835
    const cost = bundled().cost('gpt-4.1', { input: 1000, output: 500 }, { codeSessions: 2, fileSearchCalls: 3, webSearchCalls: 1 });
    assert.deepEqual(cost, { inputUsd: 0.002, outputUsd: 0.004, toolsUsd: 0.0775, totalUsd: 0.0835 });
  });

  it('tool prices are in the table with the published figures', () => {
    assert.deepEqual(bundled().toolPrices(), { codeInterpreterSession: 0.03, fileSearchPer1kCalls: 2.5, webSearchPer1kCalls: 10 });
  });
});

describe('model resolution', () => {
  const p = bundled();

  it('dated snapshots resolve to their base entry', () => {
    assert.equal(p.resolve('gpt-4o-2024-08-06'), 'gpt-4o');
    assert.equal(p.resolve('gpt-4o-2024-11-20'), 'gpt-4o');
    assert.equal(p.resolve('gpt-4.1-2025-04-14'), 'gpt-4.1');
    assert.equal(p.resolve('gpt-4.1-mini-2025-04-14'), 'gpt-4.1-mini');
    assert.equal(p.resolve('gpt-4.1-nano-2025-04-14'), 'gpt-4.1-nano');
    assert.equal(p.resolve('o3-mini-2025-01-31'), 'o3-mini');
    assert.equal(p.resolve('o3-2025-04-16'), 'o3');
    assert.equal(p.resolve('gpt-5-nano-2025-08-07'), 'gpt-5-nano');
    assert.equal(p.resolve('gpt-4-turbo-2024-04-09'), 'gpt-4-turbo');
    assert.equal(p.resolve('gpt-4-0613'), 'gpt-4');
    assert.equal(p.resolve('gpt-3.5-turbo-0125'), 'gpt-3.5-turbo');
    // 381 + 88 on the dated gpt-4o snapshot: 381 x 2.5 = 952.5; 88 x 10 = 880; 1832.5/1e6 = 0.0018325
    assert.equal(p.cost('gpt-4o-2024-08-06', { input: 381, output: 88 })?.totalUsd, 0.0018325);
  });

  it('a snapshot with its own price keeps it', () => {
    assert.equal(p.resolve('gpt-4o-2024-05-13'), 'gpt-4o-2024-05-13');
    assert.deepEqual(p.price('gpt-4o-2024-05-13'), { input: 5, output: 15 });
    assert.deepEqual(p.price('gpt-3.5-turbo-1106'), { input: 1, output: 2 });
    assert.deepEqual(p.price('gpt-4-0125-preview'), { input: 10, output: 30 });
  });

  it('is not fooled by prefixes', () => {
    assert.equal(p.resolve('gpt-4o-mini-2024-07-18'), 'gpt-4o-mini', 'gpt-4o-mini, not gpt-4o');
    assert.deepEqual(p.price('gpt-4o-mini-2024-07-18'), { input: 0.15, cachedInput: 0.075, output: 0.6 });
    assert.deepEqual(p.price('gpt-4.1'), { input: 2, cachedInput: 0.5, output: 8 }, 'gpt-4.1 is not gpt-4');
    assert.deepEqual(p.price('gpt-4-turbo'), { input: 10, output: 30 }, 'gpt-4-turbo is not gpt-4');
    for (const name of [
      'gpt-4o-mini-search-preview', // not gpt-4o-mini, not gpt-4o
      'gpt-4o-realtime-preview',
      'gpt-4.1-preview',
      'gpt-4-vision',
      'o3-pro', // not o3
      'o3-deep-research',
      'gpt-5-codex', // not gpt-5
      'gpt-5.1', // not gpt-5
      'gpt-4', // (control: exists)
    ]) {
      assert.equal(p.resolve(name), name === 'gpt-4' ? 'gpt-4' : undefined, name);
    }
    // A dated suffix is stripped once, and only a real date pattern.
    assert.equal(p.resolve('gpt-4o-mini-search-preview-2025-03-11'), undefined);
    assert.equal(p.resolve('gpt-4o-20240806'), undefined);
  });

  it('fine-tuned models are never priced as their base', () => {
    assert.equal(p.price('ft:gpt-4o-mini-2024-07-18:acme::abc123'), undefined);
  });

  it('names are matched case-insensitively and trimmed', () => {
    assert.equal(p.resolve(' GPT-4o-Mini '), 'gpt-4o-mini');
  });

  it('unknown models have no price and no cost, never a guess', () => {
    assert.equal(p.price('my-model'), undefined);
    assert.equal(p.price(''), undefined);
    assert.equal(p.cost('my-model', { input: 1000, output: 1000 }), undefined);
    assert.equal(p.cost('my-model', { input: 0, output: 0 }, { codeSessions: 1 }), undefined);
  });
});

describe('overrides', () => {
  it('config adds models and replaces entries whole, tools one by one', () => {
    const p = new Pricing({
      env: {},
      overrides: {
        models: { 'My-Model': { input: 1, cachedInput: 0.5, output: 2 }, 'gpt-4o': { input: 2, output: 8 } },
        tools: { codeInterpreterSession: 0.12 },
      },
    });
    // 1000 in (400 cached) + 100 out on my-model: 600 x 1 + 400 x 0.5 = 800/1e6; 100 x 2 = 200/1e6; 0.001
    assert.equal(p.cost('my-model', { input: 1000, cachedInput: 400, output: 100 })?.totalUsd, 0.001);
    // gpt-4o replaced without a cached price: cached billed as input. 1000 x 2 = 0.002
    assert.equal(p.cost('gpt-4o', { input: 1000, cachedInput: 1000, output: 0 })?.totalUsd, 0.002);
    // ... and its dated snapshots follow the replaced base
    assert.equal(p.resolve('gpt-4o-2024-08-06'), 'gpt-4o');
    assert.deepEqual(p.toolPrices(), { codeInterpreterSession: 0.12, fileSearchPer1kCalls: 2.5, webSearchPer1kCalls: 10 });
    assert.deepEqual(p.sources.slice(1), ['config overrides']);
  });

  it('an override of a snapshot wins over its base', () => {
    const p = new Pricing({ env: {}, overrides: { models: { 'gpt-4o-2024-08-06': { input: 3, output: 9 } } } });
    assert.deepEqual(p.price('gpt-4o-2024-08-06'), { input: 3, output: 9 });
    assert.deepEqual(p.price('gpt-4o-2024-11-20'), { input: 2.5, cachedInput: 1.25, output: 10 });
  });

  it('SPANLENS_PRICING_FILE is read at construction, once; config wins over it', () => {
    const file = writeJson(
      'prices.json',
      JSON.stringify({
        source: 'our negotiated rates',
        models: { 'gpt-4o-mini': { input: 0.1, output: 0.4 }, 'acme-llm': { input: 4, output: 16 } },
        tools: { webSearchPer1kCalls: 25 },
      }),
    );
    const env = { SPANLENS_PRICING_FILE: file };
    const p = new Pricing({ env, overrides: { models: { 'acme-llm': { input: 5, output: 20 } } } });
    // 381 + 88 on the file's gpt-4o-mini: 381 x 0.1 = 38.1; 88 x 0.4 = 35.2; 73.3/1e6 = 0.0000733
    assert.equal(p.cost('gpt-4o-mini', { input: 381, output: 88 })?.totalUsd, 0.0000733);
    assert.deepEqual(p.price('acme-llm'), { input: 5, output: 20 }, 'config beats file');
    // 2 web searches x 25/1000 = 0.05
    assert.equal(p.toolsCostNanos({ webSearchCalls: 2 }), 50_000_000);
    assert.deepEqual(p.sources.slice(1), [`file: ${file}`, 'config overrides']);

    writeFileSync(file, '{ not json');
    assert.equal(p.cost('gpt-4o-mini', { input: 381, output: 88 })?.totalUsd, 0.0000733, 'read once, not per call');
  });

  it('reads process.env by default, and the file option wins over the variable', () => {
    const fromEnv = writeJson('env.json', '{"models":{"env-model":{"input":1,"output":1}}}');
    const explicit = writeJson('explicit.json', '{"models":{"explicit-model":{"input":1,"output":1}}}');
    const saved = process.env.SPANLENS_PRICING_FILE;
    process.env.SPANLENS_PRICING_FILE = fromEnv;
    try {
      assert.ok(new Pricing().price('env-model'));
      const p = new Pricing({ file: explicit });
      assert.ok(p.price('explicit-model'));
      assert.equal(p.price('env-model'), undefined);
    } finally {
      if (saved === undefined) delete process.env.SPANLENS_PRICING_FILE;
      else process.env.SPANLENS_PRICING_FILE = saved;
    }
  });

  const bad: Array<[string, string, RegExp]> = [
    ['not JSON', '{ "models": ', /not valid JSON/],
    ['a misspelt field', '{"models":{"gpt-4o":{"input":1,"cached_input":0.5,"output":2}}}', /models\["gpt-4o"\]: unknown field "cached_input"/],
    ['a negative price', '{"models":{"gpt-4o":{"input":-1,"output":2}}}', /models\["gpt-4o"\]\.input must not be negative/],
    ['a string price', '{"models":{"gpt-4o":{"input":"2.5","output":2}}}', /must be a number, got "2.5"/],
    ['a missing output', '{"models":{"gpt-4o":{"input":2.5}}}', /"output" is required/],
    ['an unknown tool', '{"tools":{"codeInterpreter":0.03}}', /tools: unknown field "codeInterpreter"/],
    ['an array', '[]', /expected a JSON object/],
    ['an unknown top-level field', '{"model":{}}', /unknown top-level field "model"/],
  ];
  for (const [what, content, message] of bad) {
    it(`a file with ${what} is reported through onError and the bundled table is used`, () => {
      const file = writeJson('bad.json', content);
      const errors: string[] = [];
      const p = new Pricing({ env: { SPANLENS_PRICING_FILE: file }, onError: (m) => errors.push(m) });
      assert.equal(errors.length, 1);
      assert.match(errors[0], new RegExp(`pricing file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ignored, using the bundled prices`));
      assert.match(errors[0], message);
      assert.deepEqual(p.price('gpt-4o'), MODEL_PRICES['gpt-4o']);
      assert.equal(p.sources.length, 1);
    });
  }

  it('a missing file is reported the same way', () => {
    const errors: string[] = [];
    new Pricing({ file: path.join(tmp, 'nope.json'), onError: (m) => errors.push(m) });
    assert.match(errors[0] ?? '', /nope\.json ignored, using the bundled prices: cannot read it \(ENOENT\)/);
  });

  it('invalid config overrides are reported and ignored, a good file still applies', () => {
    const file = writeJson('good.json', '{"models":{"acme-llm":{"input":4,"output":16}}}');
    const errors: string[] = [];
    const p = new Pricing({
      file,
      overrides: { models: { 'gpt-4o': { input: 1 } as never } },
      onError: (m) => errors.push(m),
    });
    assert.match(errors[0] ?? '', /pricing overrides ignored: models\["gpt-4o"\]: "output" is required/);
    assert.deepEqual(p.price('gpt-4o'), MODEL_PRICES['gpt-4o']);
    assert.ok(p.price('acme-llm'));
  });
});

describe('money', () => {
  it('rounds each component once, half up, to the nano-dollar', () => {
    // 1 token at 0.0004/1M = 0.4 nano -> 0; 2 tokens = 0.8 -> 1; 1 token at 0.0005/1M = 0.5 -> 1
    const p = new Pricing({ env: {}, overrides: { models: { a: { input: 0.0004, output: 0.0005 } } } });
    const own = { source: 'override', pricedAs: 'a' };
    assert.deepEqual(p.costNanos('a', { input: 1, output: 1 }), { input: 0, output: 1, tools: 0, total: 1, ...own });
    assert.deepEqual(p.costNanos('a', { input: 2, output: 0 }), { input: 1, output: 0, tools: 0, total: 1, ...own });
  });

  it('sums without float drift', () => {
    // 0.1 + 0.2 is 0.30000000000000004 in doubles; in nano-dollars it is 300000000 -> 0.3
    assert.equal(nanosToUsd(usdToNanos(0.1) + usdToNanos(0.2)), 0.3);
    // ten gpt-4o-mini calls of 381 + 88 tokens: 10 x 0.00010995 = 0.0010995 exactly
    const p = bundled();
    let total = 0;
    for (let i = 0; i < 10; i++) total += p.costNanos('gpt-4o-mini', { input: 381, output: 88 })?.total ?? 0;
    assert.equal(total, 1_099_500);
    assert.equal(nanosToUsd(total), 0.0010995);
  });

  it('splits evenly into integers that add up to the total', () => {
    assert.deepEqual(splitEvenly(10, 3), [4, 3, 3]);
    assert.deepEqual(splitEvenly(6_720_000, 2), [3_360_000, 3_360_000]);
    assert.deepEqual(splitEvenly(5, 1), [5]);
    assert.deepEqual(splitEvenly(5, 0), []);
  });

  it('formats nano-dollars as exact decimals', () => {
    assert.equal(formatNanos(109_950), '0.00010995');
    assert.equal(formatNanos(30_000_000), '0.03');
    assert.equal(formatNanos(0), '0.00');
    assert.equal(formatNanos(12_500_000_001), '12.500000001');
    assert.equal(formatNanos(1_000_000_000), '1.00');
  });
});

describe('the bundled table', () => {
  it('covers the Assistants and Responses models, with a source and a date', () => {
    const p = bundled();
    for (const model of [
      'gpt-4o',
      'gpt-4o-mini',
      'gpt-4.1',
      'gpt-4.1-mini',
      'gpt-4.1-nano',
      'gpt-4-turbo',
      'gpt-4',
      'gpt-3.5-turbo',
      'o1',
      'o3',
      'o3-mini',
      'o4-mini',
      'gpt-5',
      'gpt-5-mini',
      'gpt-5-nano',
      'gpt-4-1106-preview',
      'gpt-4-0125-preview',
      'gpt-4o-2024-05-13',
    ]) {
      assert.ok(p.price(model), model);
    }
    assert.match(PRICES_CHECKED_ON, /^\d{4}-\d{2}-\d{2}$/);
    assert.match(p.sources[0], /OpenAI list prices .* checked \d{4}-\d{2}-\d{2}/);
  });

  it('every entry is sane: finite, non-negative, cached below input', () => {
    for (const [model, price] of Object.entries(MODEL_PRICES)) {
      assert.ok(Number.isFinite(price.input) && price.input > 0, model);
      // Output costs at least input, except embeddings (no output tokens at all).
      if (model.startsWith('text-embedding-')) assert.equal(price.output, 0, model);
      else assert.ok(Number.isFinite(price.output) && price.output >= price.input, model);
      if (price.cachedInput !== undefined) assert.ok(price.cachedInput < price.input, model);
      assert.equal(model, model.toLowerCase());
    }
  });

  it('price() hands out copies', () => {
    const p = bundled();
    const price = p.price('gpt-4o');
    if (price) price.input = 0;
    assert.equal(p.price('gpt-4o')?.input, 2.5);
  });
});

describe('UnknownModelWarnings', () => {
  it('says yes once per model, and stays bounded', () => {
    const warnings = new UnknownModelWarnings(2);
    assert.equal(warnings.shouldWarn('a'), true);
    assert.equal(warnings.shouldWarn('a'), false);
    assert.equal(warnings.shouldWarn('b'), true);
    assert.equal(warnings.shouldWarn('c'), false, 'full: quiet for new names');
    assert.equal(warnings.shouldWarn('b'), false);
  });
});

describe('the maintained source (@pydantic/genai-prices) with provenance', () => {
  const p = new Pricing({ env: {}, onError: (m) => assert.fail(`unexpected pricing error: ${m}`) });
  const DEC = Date.parse('2026-12-01T00:00:00Z');
  const GENAI = /^genai-prices@\d+\.\d+\.\d+/;

  it('prices gpt-5.6-luna at its current rate, says where the price came from', () => {
    // $0.20 in, $0.02 cached, $1.20 out since 2026-07-30 (developers.openai.com/api/docs/models/gpt-5.6-luna).
    // 10,000 in (4,000 cached) + 2,000 out: 6,000 x 0.2 = 1,200,000 nanos; 4,000 x 0.02 = 80,000;
    // 2,000 x 1.2 = 2,400,000; total 3,680,000 nanos = $0.00368
    const cost = p.costNanos('gpt-5.6-luna', { input: 10_000, cachedInput: 4_000, output: 2_000 }, undefined, DEC);
    assert.equal(cost?.input, 1_280_000);
    assert.equal(cost?.output, 2_400_000);
    assert.equal(cost?.total, 3_680_000);
    assert.match(cost?.source ?? '', GENAI);
    assert.equal(cost?.pricedAs, 'gpt-5.6-luna');
    assert.equal(p.resolve('gpt-5.6-luna-2026-07-09'), 'gpt-5.6-luna', 'dated snapshot');
  });

  it("prices a model billed by audio time from the data's hourly rate: whisper-1, $0.36 an hour = $0.006 a minute, per started second", () => {
    assert.deepEqual(p.price('whisper-1'), { input: 0, output: 0, audioPerMinute: 0.006 });
    assert.match(p.info('whisper-1')?.source ?? '', GENAI);
    // 2.4 s -> 3 started seconds x $0.006 / 60 = $0.0003 = 300,000 nanos
    assert.equal(p.audioTimeCostNanos('whisper-1', 2.4)?.total, 300_000);
  });

  it('uses the price in force when the call was made (a dated price cut)', () => {
    // Before the 2026-07-30 cut: $1 in, $0.10 cached, $6 out. 6,000 x 1 = 6,000,000; 4,000 x 0.1 = 400,000;
    // 2,000 x 6 = 12,000,000; total 18,400,000 nanos
    const july = Date.parse('2026-07-15T00:00:00Z');
    assert.equal(p.costNanos('gpt-5.6-luna', { input: 10_000, cachedInput: 4_000, output: 2_000 }, undefined, july)?.total, 18_400_000);
    // ... and the old price does not stick in the cache for calls made now.
    assert.equal(p.costNanos('gpt-5.6-luna', { input: 10_000, cachedInput: 4_000, output: 2_000 }, undefined, DEC)?.total, 3_680_000);
  });

  it('prices a long-context request whole at the higher tier', () => {
    // More than 272K input tokens: 2x input ($0.40), 1.5x output ($1.80) for the whole request.
    // 300,000 x 0.4 = 120,000,000 nanos; 1,000 x 1.8 = 1,800,000; total 121,800,000
    assert.equal(p.costNanos('gpt-5.6-luna', { input: 300_000, output: 1_000 }, undefined, DEC)?.total, 121_800_000);
  });

  it('prices the models the old table lacked, and agrees with it where both have one', () => {
    for (const model of ['gpt-5.1', 'gpt-5.2', 'gpt-5.4', 'gpt-5.5', 'gpt-5.6-sol', 'gpt-5.6-terra', 'gpt-realtime', 'gpt-realtime-mini', 'o3-pro']) {
      assert.match(p.info(model)?.source ?? '', GENAI, model);
    }
    for (const model of Object.keys(MODEL_PRICES)) {
      if (model === 'gpt-6.1-terra' || model === 'gpt-6.2-sol') continue;
      const { longContext, ...rates } = p.price(model) ?? { input: NaN, output: NaN };
      assert.equal(longContext, undefined, model);
      assert.deepEqual(rates, MODEL_PRICES[model], model);
    }
  });

  it('falls back to the bundled table for a model the data lacks, long context included', () => {
    // gpt-6.1-terra ($1 / $0.05 / $5; above 272K: $2 / $0.10 / $7.50) is newer than genai-prices 0.1.8.
    // 300,000 x 2 = 600,000,000 nanos; 1,000 x 7.5 = 7,500,000; total 607,500,000
    const cost = p.costNanos('gpt-6.1-terra', { input: 300_000, output: 1_000 }, undefined, DEC);
    assert.equal(cost?.total, 607_500_000);
    assert.equal(cost?.source, `bundled@${PRICES_CHECKED_ON}`);
  });

  it('our correction wins where the data is incomplete: gpt-4o audio tokens', () => {
    // gpt-4o-audio-preview: text $2.50 / $10, audio $40 / $80. 1,000 in (800 audio) + 500 out (400 audio):
    // 200 x 2.5 = 500,000 nanos; 800 x 40 = 32,000,000; 100 x 10 = 1,000,000; 400 x 80 = 32,000,000
    const cost = p.costNanos('gpt-4o-audio-preview-2024-12-17', { input: 1000, audioInput: 800, output: 500, audioOutput: 400 });
    assert.deepEqual(cost, {
      input: 32_500_000,
      output: 33_000_000,
      tools: 0,
      total: 65_500_000,
      source: `bundled@${PRICES_CHECKED_ON}`,
      pricedAs: 'gpt-4o-audio-preview',
    });
  });

  it('an override wins over the maintained data and says so', () => {
    const own = new Pricing({ env: {}, overrides: { models: { 'gpt-5.6-luna': { input: 0.5, output: 2 } } } });
    // 1,000 x 0.5 = 500,000 nanos; 1,000 x 2 = 2,000,000; total 2,500,000
    const cost = own.costNanos('gpt-5.6-luna', { input: 1000, output: 1000 });
    assert.equal(cost?.total, 2_500_000);
    assert.equal(cost?.source, 'override');
  });

  it('without the maintained data, the bundled table alone', () => {
    const table = new Pricing({ env: {}, maintained: false });
    assert.equal(table.price('gpt-5.6-luna'), undefined);
    assert.equal(table.info('gpt-4o')?.source, `bundled@${PRICES_CHECKED_ON}`);
  });
});

describe('CostModel: usage shapes by modality, attributes, unknown models', () => {
  const warnings: string[] = [];
  const diag = { warn: (m: string) => warnings.push(m), error() {}, info() {}, debug() {}, verbose() {} };
  const model = new CostModel(diag);

  it('a Realtime response: text, audio and cached parts each at their rate', () => {
    // gpt-realtime: text $4 in / $0.40 cached / $16 out; audio $32 in / $0.40 cached / $64 out.
    // Input 1,000 = text 400 + audio 600; cached 300 = text 100 + audio 200.
    //   uncached text 300 x 4 = 1,200,000 nanos; cached text 100 x 0.4 = 40,000;
    //   uncached audio 400 x 32 = 12,800,000; cached audio 200 x 0.4 = 80,000 -> input 14,120,000
    // Output 500 = text 100 x 16 = 1,600,000 + audio 400 x 64 = 25,600,000 -> output 27,200,000
    const usage = {
      total_tokens: 1500,
      input_tokens: 1000,
      output_tokens: 500,
      input_token_details: { text_tokens: 400, audio_tokens: 600, cached_tokens: 300, cached_tokens_details: { text_tokens: 100, audio_tokens: 200 } },
      output_token_details: { text_tokens: 100, audio_tokens: 400 },
    };
    const cost = model.of('gpt-realtime-2025-08-28', usage);
    assert.equal(cost?.input, 14_120_000);
    assert.equal(cost?.output, 27_200_000);
    assert.equal(cost?.total, 41_320_000);
    assert.equal(cost?.pricedAs, 'gpt-realtime');
  });

  it("a chat completion's cached tokens (prompt_tokens_details) at the cached rate", () => {
    // gpt-4o-mini: $0.15 in, $0.075 cached, $0.60 out. 2,000 prompt (1,500 cached) + 100 completion:
    // 500 x 0.15 = 75,000 nanos; 1,500 x 0.075 = 112,500; 100 x 0.6 = 60,000; total 247,500
    const usage = { prompt_tokens: 2000, completion_tokens: 100, prompt_tokens_details: { cached_tokens: 1500, audio_tokens: 0 } };
    assert.equal(model.of('gpt-4o-mini', usage)?.total, 247_500);
  });

  it('puts the cost and its provenance on the span', () => {
    const cost = model.of('gpt-5.6-luna', { input_tokens: 1000, output_tokens: 0 });
    assert.ok(cost);
    const attrs = costAttributes(cost);
    assert.match(String(attrs['spanlens.cost.source']), /^genai-prices@/);
    assert.equal(attrs['spanlens.cost.priced_as'], 'gpt-5.6-luna');
  });

  it('an unknown model: no cost, one warning however often it is seen', () => {
    const before = warnings.length;
    assert.equal(model.of('acme-unknown-7', { input_tokens: 10, output_tokens: 10 }), undefined);
    assert.equal(model.of('acme-unknown-7', { input_tokens: 10, output_tokens: 10 }), undefined);
    assert.equal(warnings.length - before, 1);
    assert.match(warnings[before], /no price for model "acme-unknown-7"/);
  });
});

describe('time-billed models (the Live API)', () => {
  it('gpt-live-1: $0.05 a minute, billed per started second, from the bundled corrections', () => {
    const p = new Pricing({ env: {} });
    const minute = p.audioTimeCostNanos('gpt-live-1', 60);
    assert.equal(minute?.total, usdToNanos(0.05));
    assert.match(minute!.source, /^bundled@/);
    assert.equal(minute?.pricedAs, 'gpt-live-1');
    // 12.2 s is billed as 13 s: 13 × 0.05 / 60 USD.
    assert.equal(p.audioTimeCostNanos('gpt-live-1', 12.2)?.total, Math.round((13 * usdToNanos(0.05)) / 60));
    assert.equal(p.audioTimeCostNanos('gpt-live-1', -1)?.total, 0);
  });

  it('a token-priced model has no time price; an override can give one', () => {
    assert.equal(new Pricing({ env: {} }).audioTimeCostNanos('gpt-4o', 60), undefined);
    const p = new Pricing({ env: {}, overrides: { models: { 'my-live': { input: 0, output: 0, audioPerMinute: 0.12 } } } });
    assert.equal(p.audioTimeCostNanos('my-live', 30)?.total, usdToNanos(0.06));
  });
});
