import { badRequest, invalidType, invalidValue, missingParam } from '../engine/errors';
import { seededRandom } from '../http/sse';
import type { WireEmbeddingList } from './types';
import { route, type Route } from '../http/router';
import { tokens } from '../engine/usage';
import * as v from '../engine/validate';

// POST /embeddings: a deterministic unit vector per input (a pure function of the seed, the model and
// the input), as JSON floats or (encoding_format 'base64', which SDK v5+ asks for by default and
// decodes) little-endian float32 bytes in base64, as recorded. `dimensions` shortens the vector (the
// text-embedding-3 models only); usage counts ≈4 characters a token, or the tokens given.

const DEFAULT_DIMENSIONS: Record<string, number> = {
  'text-embedding-ada-002': 1536,
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
};
const MAX_INPUTS = 2048;

type Input = { text: string; tokens: number };

function inputs(raw: unknown): Input[] {
  if (raw === undefined || raw === null) throw missingParam('input');
  const isTokens = (x: unknown): x is number[] => Array.isArray(x) && x.every((n) => Number.isInteger(n) && n >= 0);
  const one = (x: unknown, param: string): Input => {
    if (typeof x === 'string') {
      if (x === '') throw badRequest(`'${param}' cannot be an empty string.`, param, 'invalid_value');
      return { text: x, tokens: tokens(x) };
    }
    if (isTokens(x) && x.length > 0) return { text: `tokens:${x.join(',')}`, tokens: x.length };
    throw invalidType(param, 'a string or an array of integers', x);
  };
  if (typeof raw === 'string' || isTokens(raw)) return [one(raw, 'input')];
  if (!Array.isArray(raw)) throw invalidType('input', 'a string or an array', raw);
  if (raw.length === 0) throw badRequest("Invalid 'input': empty array. Expected an array with minimum length 1, but got an empty array instead.", 'input', 'empty_array');
  if (raw.length > MAX_INPUTS) {
    throw badRequest(`Invalid 'input': array too long. Expected an array with maximum length ${MAX_INPUTS}, but got an array with length ${raw.length} instead.`, 'input', 'array_above_max_length');
  }
  return raw.map((x, i) => one(x, `input[${i}]`));
}

/** A unit-length vector of float32 values, seeded by the input (roughly normal components). */
export function embeddingVector(seed: number, model: string, text: string, dimensions: number): Float32Array {
  const random = seededRandom('embedding', seed, model, text);
  const out = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    // Irwin–Hall: the sum of four uniforms, centred, is close enough to a normal distribution.
    const x = random() + random() + random() + random() - 2;
    out[i] = x;
    norm += x * x;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < dimensions; i++) out[i] = (out[i] as number) * scale;
  return out;
}

export function embeddingRoutes(seed: number): Route[] {
  return [
    route('POST', '/embeddings', (req) => {
      const body = v.asBody(req.body);
      const model = v.requiredString(body, 'model');
      const list = inputs(body['input']);
      const format = body['encoding_format'] ?? 'float';
      if (format !== 'float' && format !== 'base64') {
        throw invalidValue('encoding_format', `Invalid value: '${String(format)}'. Supported values are: 'float' and 'base64'.`);
      }
      const full = DEFAULT_DIMENSIONS[model] ?? 1536;
      const dimensions = v.optionalInteger(body, 'dimensions', 1) ?? full;
      if (v.has(body, 'dimensions') && model === 'text-embedding-ada-002') throw badRequest('This model does not support specifying dimensions.', 'dimensions');
      if (dimensions > full) {
        throw badRequest(`Invalid 'dimensions': integer above maximum value. Expected a value <= ${full}, but got ${dimensions} instead.`, 'dimensions', 'integer_above_max_value');
      }
      let total = 0;
      const data = list.map((input, index) => {
        total += input.tokens;
        // A shortened embedding is the full one cut and renormalised, as the API documents.
        const vector = embeddingVector(seed, model, input.text, dimensions);
        const embedding = format === 'base64' ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64') : Array.from(vector, (x) => Number(x.toPrecision(9)));
        return { object: 'embedding' as const, index, embedding };
      });
      const result: WireEmbeddingList = { object: 'list', data, model, usage: { prompt_tokens: total, total_tokens: total } };
      return result;
    }),
  ];
}
