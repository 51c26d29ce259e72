import { readFileSync } from 'node:fs';
import type { ModelPrice, ToolPrices } from './price-table';

/** User prices, same shape in code and in the SPANLENS_PRICING_FILE JSON. Model keys: exact model names. */
export interface PricingOverrides {
  models?: Record<string, ModelPrice>;
  tools?: Partial<ToolPrices>;
}

type Parsed = { ok: true; value: PricingOverrides } | { ok: false; error: string };

const MODEL_FIELDS = ['input', 'cachedInput', 'output', 'audioInput', 'cachedAudioInput', 'audioOutput', 'audioPerMinute'];
const TOOL_FIELDS: (keyof ToolPrices)[] = ['codeInterpreterSession', 'fileSearchPer1kCalls', 'webSearchPer1kCalls'];
// Free-text keys a pricing file may carry to say where its numbers come from.
const NOTE_FIELDS = ['source', 'date', 'notes'];

/**
 * Checks a pricing object strictly: a misspelt field (`cached_input`) must fail loudly, not price every
 * cached token at zero. Prices: finite numbers >= 0, USD per 1M tokens (tools: per session / per 1k calls).
 */
export function parseOverrides(value: unknown): Parsed {
  if (!isPlainObject(value)) return fail('expected a JSON object with "models" and/or "tools"');
  for (const key of Object.keys(value)) {
    if (key !== 'models' && key !== 'tools' && !NOTE_FIELDS.includes(key) && !key.startsWith('$')) {
      return fail(`unknown top-level field "${key}" (expected "models", "tools")`);
    }
  }
  const out: PricingOverrides = {};
  if (value.models !== undefined) {
    if (!isPlainObject(value.models)) return fail('"models" must be an object of model name -> { input, cachedInput?, output }');
    out.models = {};
    for (const [name, entry] of Object.entries(value.models)) {
      const where = `models["${name}"]`;
      if (!isPlainObject(entry)) return fail(`${where} must be an object { input, cachedInput?, output }`);
      const unknown = Object.keys(entry).find((k) => !MODEL_FIELDS.includes(k));
      if (unknown) return fail(`${where}: unknown field "${unknown}" (expected ${MODEL_FIELDS.join(', ')})`);
      for (const field of ['input', 'output']) {
        if (entry[field] === undefined) return fail(`${where}: "${field}" is required`);
      }
      for (const field of MODEL_FIELDS) {
        const problem = priceProblem(entry[field]);
        if (problem) return fail(`${where}.${field} ${problem}`);
      }
      const price: ModelPrice = { input: entry.input as number, output: entry.output as number };
      for (const field of ['cachedInput', 'audioInput', 'cachedAudioInput', 'audioOutput', 'audioPerMinute'] as const) {
        if (entry[field] !== undefined) price[field] = entry[field] as number;
      }
      out.models[name] = price;
    }
  }
  if (value.tools !== undefined) {
    if (!isPlainObject(value.tools)) return fail('"tools" must be an object');
    out.tools = {};
    for (const [key, price] of Object.entries(value.tools)) {
      if (!(TOOL_FIELDS as string[]).includes(key)) return fail(`tools: unknown field "${key}" (expected ${TOOL_FIELDS.join(', ')})`);
      const problem = priceProblem(price);
      if (problem) return fail(`tools.${key} ${problem}`);
      out.tools[key as keyof ToolPrices] = price as number;
    }
  }
  return { ok: true, value: out };
}

/** Reads and checks a pricing file, synchronously (once, at construction; never from the network). */
export function readPricingFile(path: string): Parsed {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return fail(`cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail(`not valid JSON (${(err as Error).message})`);
  }
  return parseOverrides(json);
}

function priceProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `must be a number, got ${JSON.stringify(value)}`;
  if (value < 0) return `must not be negative, got ${value}`;
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(error: string): Parsed {
  return { ok: false, error };
}
