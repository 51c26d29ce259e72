// Span-tree helpers for assertions on the harness's span JSON.
import assert from 'node:assert/strict';
import type { SpanJSON } from '../harness/run-cell';

export type { SpanJSON };

export const inTrace = (spans: SpanJSON[], traceId: string) => spans.filter((s) => s.traceId === traceId);
export const childrenOf = (spans: SpanJSON[], parent: SpanJSON) => spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);

/** Exactly one span matching name (string or RegExp) and the given attribute values. */
export function one(spans: SpanJSON[], name: string | RegExp, attrs: Record<string, unknown> = {}): SpanJSON {
  const found = all(spans, name, attrs);
  assert.equal(found.length, 1, `expected one span ${String(name)} ${JSON.stringify(attrs)}, found ${found.length}: ${spans.map((s) => s.name).join(', ')}`);
  return found[0] as SpanJSON;
}

export function all(spans: SpanJSON[], name: string | RegExp, attrs: Record<string, unknown> = {}): SpanJSON[] {
  return spans.filter((s) => (typeof name === 'string' ? s.name === name : name.test(s.name)) && Object.entries(attrs).every(([k, v]) => JSON.stringify(s.attributes[k]) === JSON.stringify(v)));
}

/** Tree invariants: unique span ids, children inside their parent's interval, start <= end. */
export function assertWellFormed(spans: SpanJSON[]): void {
  const byId = new Map<string, SpanJSON>();
  for (const s of spans) {
    assert.ok(!byId.has(`${s.traceId}/${s.spanId}`), `duplicate span id ${s.spanId} (${s.name})`);
    byId.set(`${s.traceId}/${s.spanId}`, s);
    assert.ok(s.endMs >= s.startMs, `${s.name} ends before it starts`);
  }
  for (const s of spans) {
    const parent = s.parentSpanId ? byId.get(`${s.traceId}/${s.parentSpanId}`) : undefined;
    if (!parent) continue;
    assert.ok(s.startMs >= parent.startMs - 0.001 && s.endMs <= parent.endMs + 0.001, `${s.name} [${s.startMs}, ${s.endMs}] outside parent ${parent.name} [${parent.startMs}, ${parent.endMs}]`);
  }
}

/** The tree as indented names, children in start order (then by name, so parallel siblings sort stably). */
export function outline(spans: SpanJSON[], root: SpanJSON): string[] {
  const lines: string[] = [];
  const walk = (s: SpanJSON, depth: number): void => {
    lines.push(`${'  '.repeat(depth)}${s.name}`);
    childrenOf(spans, s)
      .sort((a, b) => a.startMs - b.startMs || a.name.localeCompare(b.name))
      .forEach((c) => walk(c, depth + 1));
  };
  walk(root, 0);
  return lines;
}

export const sumAttr = (spans: SpanJSON[], key: string) => spans.reduce((n, s) => n + Number(s.attributes[key] ?? 0), 0);

/** Every attribute that holds captured content (text, tool arguments/results, code, queries, summaries). */
export const CONTENT_KEYS = [
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'spanlens.code.input',
  'spanlens.code.output',
  'spanlens.retrieval.results',
  'spanlens.search.queries',
  'spanlens.reasoning.summary',
  'spanlens.user_message.texts',
  'spanlens.message.delta.text',
];

/** [span name, key, value] of every content attribute on the spans (empty when capture is off). */
export const contentValues = (spans: SpanJSON[]) => spans.flatMap((s) => CONTENT_KEYS.filter((k) => s.attributes[k] !== undefined).map((k) => [s.name, k, s.attributes[k]] as const));
