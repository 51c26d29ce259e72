import { badRequest, invalidType } from '../engine/errors';
import { decide, type DecisionQuestion } from '../engine/decisions';
import { route, type Route } from '../http/router';
import * as v from '../engine/validate';

// POST /decisions (`client.decisions.create`): typed answers to 1–400 questions about an input (a string or
// messages), from engine/decisions.ts (the same answers a Live session's Decisions evaluation gives).

const QUESTION_TYPES = new Set(['predicate', 'choice', 'score']);

export function decisionRoutes(seed: number): Route[] {
  return [
    route('POST', '/decisions', (req) => {
      const body = v.asBody(req.body);
      const model = v.requiredString(body, 'model');
      if (model !== 'gpt-6-luna') throw badRequest(`The model '${model}' is not supported for decisions. Only gpt-6-luna is supported.`, 'model', 'model_not_supported');
      const input = body['input'];
      if (typeof input !== 'string' && !Array.isArray(input)) throw invalidType('input', 'a string or an array', input);
      const questions = body['questions'];
      if (!Array.isArray(questions) || questions.length < 1 || questions.length > 400) throw badRequest("Invalid 'questions': expected an array of 1 to 400 questions.", 'questions', 'invalid_value');
      questions.forEach((q, i) => {
        const type = (q as { type?: unknown } | null)?.type;
        if (!QUESTION_TYPES.has(String(type))) throw badRequest(`Invalid 'questions[${i}].type': expected one of 'predicate', 'choice', 'score'.`, `questions[${i}].type`, 'invalid_value');
      });
      return decide(seed, model, questions as DecisionQuestion[], typeof input === 'string' ? input : JSON.stringify(input));
    }),
  ];
}
