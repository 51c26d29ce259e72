import { hashInt, pick } from './ids';
import type { WireMessage } from './types';

// Deterministic "model output": every text is a pure function of the seed and the conversation, so two
// emulators with the same seed answer the same question with the same words.

/** The text of the last user message of a thread ('' when there is none). */
export function lastUserText(messages: readonly WireMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as WireMessage;
    if (m.role !== 'user') continue;
    return m.content
      .map((p) => (p.type === 'text' ? p.text.value : ''))
      .join(' ')
      .trim();
  }
  return '';
}

/** One line, at most `max` characters (an ellipsis marks a cut). */
export function quote(text: string, max = 80): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= max) return line;
  return line.slice(0, max - 1).trimEnd() + '…';
}

function topic(question: string): string {
  return question ? quote(question) : 'your request';
}

const ANSWERS: ReadonlyArray<(q: string) => string> = [
  (q) => `You asked: "${q}". The short answer is yes: start simple, check each step, and the result follows.`,
  (q) => `Regarding "${q}": the key point is to break the problem into small parts and verify each one.`,
  (q) => `Good question. For "${q}", the usual approach works well here, and I have summarised it below.`,
  (q) => `Here is my answer to "${q}": it depends on the details, but in most cases the direct approach is best.`,
];

export function answerText(seed: number, question: string): string {
  return pick(ANSWERS, seed, 'answer', question)(topic(question));
}

const ELABORATION =
  ' Let me walk through it step by step. First, restate the problem in your own words. Second, list what is ' +
  'already known and what is still missing. Third, work out each part carefully, and finally check the result ' +
  'against the original question before writing the summary.';

/** A long answer, for runs that run out of completion tokens. */
export function longAnswerText(seed: number, question: string): string {
  return answerText(seed, question) + ELABORATION;
}

/** The first `budget` tokens' worth of text (≈4 chars each), cut at a word boundary. */
/** Text cut like model tokens: a word or a run of punctuation with its leading whitespace. */
export function tokenPieces(text: string): string[] {
  return text.match(/\s*(?:[A-Za-z0-9_]+|[^\sA-Za-z0-9_]+)|\s+/g) ?? [];
}

export function truncateToTokens(text: string, budget: number): string {
  const maxChars = Math.max(1, budget) * 4;
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars);
  const space = cut.lastIndexOf(' ');
  return (space > 0 ? cut.slice(0, space) : cut).trimEnd();
}

export function toolAnswerText(seed: number, question: string, results: ReadonlyArray<{ name: string; output: string }>): string {
  const parts = results.map((r) => `${r.name} returned ${quote(r.output || '(empty output)', 120)}`);
  const intro = pick(['Thanks for waiting.', 'I checked with the tools.', 'Here is what I found.'], seed, 'tool', question);
  return `${intro} ${parts.join('; ')}. That answers "${topic(question)}".`;
}

// ---------------------------------------------------------------------------------------------
// Function-call arguments from a JSON schema.

type Schema = Record<string, unknown>;

function isObject(x: unknown): x is Schema {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** "weather in Paris?" → "Paris": a capitalised name after in/at/for/near, if the question has one. */
function placeIn(question: string): string | undefined {
  return /\b(?:in|at|for|near)\s+([A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+)*)/u.exec(question)?.[1];
}

function stringFor(name: string, schema: Schema, question: string): string {
  switch (schema['format']) {
    case 'date':
      return '2024-06-01';
    case 'date-time':
      return '2024-06-01T12:00:00Z';
    case 'email':
      return 'jane.doe@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com';
    case 'uuid':
      return '123e4567-e89b-12d3-a456-426614174000';
  }
  const n = name.toLowerCase();
  const has = (...words: string[]) => words.some((w) => n.includes(w));
  if (has('location', 'city', 'place', 'address')) return placeIn(question) ?? 'San Francisco, CA';
  if (has('country')) return 'France';
  if (has('email')) return 'jane.doe@example.com';
  if (has('url', 'link')) return 'https://example.com';
  if (has('date')) return '2024-06-01';
  if (has('time')) return '12:00';
  if (has('unit')) return 'celsius';
  if (has('lang')) return 'en';
  if (has('currency')) return 'USD';
  if (has('symbol', 'ticker')) return 'AAPL';
  if (has('sql')) return 'SELECT name FROM items LIMIT 5';
  if (has('code', 'script')) return 'print("hello")';
  if (has('query', 'question', 'input', 'prompt', 'search', 'keyword', 'topic', 'text', 'message')) {
    return question ? quote(question, 100) : 'example query';
  }
  if (n === 'id' || n.endsWith('_id') || n.endsWith('id')) return 'A1B2C3';
  if (has('name')) return 'Jane Doe';
  return question ? quote(question, 60) : `example ${name}`;
}

function numberFor(name: string, schema: Schema, integer: boolean): number {
  const n = name.toLowerCase();
  let v = n.includes('year') ? 2024 : n.includes('age') ? 30 : /count|limit|num|max|top|size/.test(n) ? 3 : integer ? 42 : 3.5;
  const min = schema['minimum'];
  const max = schema['maximum'];
  if (typeof min === 'number' && v < min) v = min;
  if (typeof max === 'number' && v > max) v = max;
  return integer ? Math.round(v) : v;
}

function schemaType(schema: Schema): string {
  const t = schema['type'];
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const first = t.find((x) => x !== 'null');
    if (typeof first === 'string') return first;
  }
  if (isObject(schema['properties'])) return 'object';
  if (isObject(schema['items'])) return 'array';
  return 'string';
}

function valueFor(name: string, schema: Schema, question: string, depth: number, booleans: boolean): unknown {
  if ('const' in schema) return schema['const'];
  const enumValues = schema['enum'];
  if (Array.isArray(enumValues) && enumValues.length > 0) return enumValues[0];
  if ('default' in schema) return schema['default'];
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    const options = schema[key];
    if (Array.isArray(options)) {
      const first = options.find((o) => isObject(o) && o['type'] !== 'null');
      if (isObject(first)) return valueFor(name, first, question, depth, booleans);
    }
  }
  switch (schemaType(schema)) {
    case 'integer':
      return numberFor(name, schema, true);
    case 'number':
      return numberFor(name, schema, false);
    case 'boolean':
      return booleans;
    case 'null':
      return null;
    case 'array': {
      const items = isObject(schema['items']) ? schema['items'] : { type: 'string' };
      const count = typeof schema['minItems'] === 'number' && schema['minItems'] > 1 ? schema['minItems'] : 1;
      const singular = name.endsWith('s') ? name.slice(0, -1) : name;
      return Array.from({ length: count }, () => valueFor(singular, items, question, depth + 1, booleans));
    }
    case 'object':
      return depth > 4 ? {} : objectFor(schema, question, depth + 1, booleans);
    default:
      return stringFor(name, schema, question);
  }
}

function objectFor(schema: Schema, question: string, depth: number, booleans: boolean): Record<string, unknown> {
  const props = isObject(schema['properties']) ? schema['properties'] : {};
  const required = Array.isArray(schema['required']) ? schema['required'].filter((x): x is string => typeof x === 'string') : [];
  const names = required.length > 0 ? required : Object.keys(props);
  const out: Record<string, unknown> = {};
  for (const key of names) {
    const sub = props[key];
    out[key] = valueFor(key, isObject(sub) ? sub : {}, question, depth, booleans);
  }
  return out;
}

/**
 * JSON arguments for a function tool (or a structured answer), filled from its schema (required
 * properties, or all); `booleans`: the value of boolean fields without enum / const / default.
 */
export function functionArguments(parameters: unknown, question: string, booleans = true): string {
  return JSON.stringify(isObject(parameters) ? objectFor(parameters, question, 0, booleans) : {});
}

// ---------------------------------------------------------------------------------------------
// Code interpreter.

export interface CodeOutput {
  input: string;
  logs: string;
  answer: string;
}

export function codeInterpreter(seed: number, question: string): CodeOutput {
  const values = Array.from({ length: 6 }, (_, i) => (hashInt(seed, 'code', question, i) % 20) + 1);
  const total = values.reduce((a, b) => a + b, 0);
  const mean = (total / values.length).toFixed(2);
  const input = [
    'import matplotlib.pyplot as plt',
    '',
    `values = [${values.join(', ')}]`,
    'total = sum(values)',
    'mean = total / len(values)',
    'print(f"total = {total}")',
    'print(f"mean = {mean:.2f}")',
    '',
    'plt.plot(values, marker="o")',
    'plt.title("Values")',
    'plt.savefig("values.png")',
  ].join('\n');
  return {
    input,
    logs: `total = ${total}\nmean = ${mean}\n`,
    answer: `I ran the code: the total is ${total} and the mean is ${mean}. The chart of the values is attached.`,
  };
}

// ---------------------------------------------------------------------------------------------
// File search.

const CHUNK_SENTENCES = [
  'It explains the main idea with a short worked example.',
  'It lists the steps in order and the checks to make after each one.',
  'It compares the common options and recommends the simplest one.',
  'It summarises the definitions used in the rest of the document.',
];

export function searchChunk(seed: number, question: string, fileName: string, index: number): string {
  return `${fileName}, section ${index + 1}: notes on "${topic(question)}". ${pick(CHUNK_SENTENCES, seed, 'chunk', fileName, index)}`;
}

/** A relevance score in (0.5, 0.95), decreasing with the rank, with full double precision like the API. */
export function searchScore(seed: number, fileId: string, rank: number): number {
  return 0.9 - rank * 0.05 + (hashInt(seed, 'score', fileId, rank) % 100000) / 2_500_000;
}
