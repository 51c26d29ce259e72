// openai 7's own Decision types (type-only; the root devDependency is openai 6, which has no Decisions API).
import type { Decision, DecisionCreateParams } from '@openai/agents-openai/node_modules/openai/resources/decisions';
import { hashInt } from './ids';
import { tokens } from './usage';

// A Decision (the Decisions API; also what a Live session's Decisions evaluation completes with): one typed
// answer per question, in order, a pure function of the seed, the question and the input. A predicate is
// a probability, a choice one of its values (with a probability for each), a score a level (with a
// probability for each); a question whose instructions contain `[emulator:refuse]` is refused. Usage:
// ≈4 characters a token of the input and the questions, two output tokens an answer, no reasoning.

export type DecisionQuestion = DecisionCreateParams['questions'][number];
type Answer = Decision['answers'][number];

const text = (x: unknown): string => (typeof x === 'string' ? x : JSON.stringify(x ?? ''));

/** Probabilities over `n` options that sum to 1, the first (the answer) the largest. */
function spread(seed: number, key: string, n: number): number[] {
  const top = 0.5 + (hashInt(seed, 'decision', key) % 400) / 1000;
  const rest = n > 1 ? (1 - top) / (n - 1) : 0;
  return Array.from({ length: n }, (_, i) => Number((i === 0 ? top : rest).toFixed(4)));
}

function answer(seed: number, q: DecisionQuestion, input: string, i: number): Answer {
  const name = q.name ?? null;
  const key = `${i}:${text(q.instructions)}:${input}`;
  if (text(q.instructions).includes('[emulator:refuse]')) return { type: 'refusal', name };
  if (q.type === 'predicate') return { type: 'predicate', name, probability: spread(seed, key, 2)[0]! };
  const p = spread(seed, key, q.type === 'choice' ? q.choices.length : q.levels.length);
  if (q.type === 'choice') return { type: 'choice', name, choice: q.choices[0]!.value, confidence: p[0]!, probabilities: q.choices.map((c, j) => ({ value: c.value, probability: p[j]! })) };
  return { type: 'score', name, score: 0, confidence: p[0]!, probabilities: q.levels.map((l, j) => ({ label: l.label, value: j, probability: p[j]! })) };
}

/** The Decision `model` answers `questions` about `input` (text) with. */
export function decide(seed: number, model: string, questions: readonly DecisionQuestion[], input: string): Decision {
  const answers = questions.map((q, i) => answer(seed, q, input, i));
  const inputTokens = tokens(input) + questions.reduce((n, q) => n + 4 + tokens(text(q.instructions)), 0);
  const outputTokens = 2 * answers.length;
  return {
    model,
    answers,
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    },
  };
}
