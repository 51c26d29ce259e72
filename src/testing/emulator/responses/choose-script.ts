import { badRequest } from '../engine/errors';
import { RESPONSE_SCRIPTS, type ResponseScript } from '../options';
import { lastUserQuestion } from './context';
import { answersOwnCalls, defaultFunction, nextStep, parseDirectives } from '../engine/directives';
import type { StoredItem } from './types';

// Which script a Responses request follows (see ResponseScript in options.ts), and which functions a
// function script calls.

type Body = Record<string, unknown>;

function isObject(x: unknown): x is Body {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Does the request end with function_call_output items (the follow-up of a function call)? */
export function endsWithToolOutputs(input: readonly StoredItem[]): boolean {
  return input.length > 0 && input[input.length - 1]?.type === 'function_call_output';
}

/** Does the request make the model reason (an effort other than 'none', or a summary asked for)? */
export function reasons(reasoning: Body | null): boolean {
  if (!reasoning || reasoning['effort'] === 'none') return false;
  return Boolean(reasoning['effort'] || reasoning['summary']);
}

export interface TurnRequest {
  metadata: Record<string, string> | undefined;
  instructions: string | null;
  toolChoice: unknown;
  tools: ReadonlyArray<Body>;
  reasoning: Body | null;
  /** Everything before the request (chain or conversation), then its input. */
  history: readonly StoredItem[];
  input: readonly StoredItem[];
}

export interface Turn {
  script: ResponseScript;
  /** The functions a function script calls (null: the forced tool_choice, else the first function). */
  calls: string[] | null;
  /** Booleans of generated JSON (`[emulator:true-when=…]`; true without it). */
  booleans: boolean;
}

/**
 * `metadata.script` ?? `[emulator:script=…]` in the instructions ?? a choice from the request:
 * tool_choice 'none' answers; the next `[emulator:call=…]` / `[emulator:handoff=…]` turn calls its
 * functions (once they are all made, the agent answers); a follow-up carrying the outputs of its own
 * function calls answers; a forced tool type, else the first tool of a known type, picks its script (a
 * function tool only when there is a function to call: see defaultFunction); a reasoning request picks
 * 'reasoning'; otherwise 'answer'. Answers of a reasoning request ('answer' otherwise) are 'reasoning'.
 */
export function chooseResponseTurn(req: TurnRequest): Turn {
  const functions = req.tools.filter((t) => t['type'] === 'function').map((t) => String(t['name']));
  const items = [...req.history, ...req.input];
  const directives = parseDirectives(req.instructions, functions);
  const step = nextStep(directives.steps, items);
  const booleans = directives.trueWhen === null || lastUserQuestion(items).toLowerCase().includes(directives.trueWhen);
  const turn = (script: ResponseScript, calls: string[] | null = null): Turn => ({ script, calls, booleans });
  const explicit = explicitScript(req.metadata) ?? directives.script;
  if (explicit !== null) return turn(explicit, step);
  const answer: ResponseScript = reasons(req.reasoning) ? 'reasoning' : 'answer';
  if (req.toolChoice === 'none') return turn('answer');
  if (step) return turn(step.length > 1 ? 'parallel_functions' : 'function', step);
  if (directives.steps.length > 0 || answersOwnCalls(functions, items)) return turn(answer);
  if (isObject(req.toolChoice)) {
    // A forced function: pickFunctions (scripts.ts) calls the named one.
    const forced = req.toolChoice['type'] === 'function' ? 'function' : scriptOfTool(req.toolChoice['type']);
    if (forced) return turn(forced);
  }
  const fn = defaultFunction(functions, items);
  for (const t of req.tools) {
    if (t['type'] === 'function' && fn !== null) return turn('function', [fn]);
    const s = scriptOfTool(t['type']);
    if (s) return turn(s);
  }
  return turn(answer);
}

function explicitScript(metadata: Record<string, string> | undefined): ResponseScript | null {
  const explicit = metadata?.['script'];
  if (explicit === undefined) return null;
  if (!(RESPONSE_SCRIPTS as readonly string[]).includes(explicit)) {
    throw badRequest(`Unknown emulator script '${explicit}' in metadata.script. Expected one of: ${RESPONSE_SCRIPTS.join(', ')}.`, 'metadata.script', 'invalid_value');
  }
  return explicit as ResponseScript;
}

function scriptOfTool(type: unknown): ResponseScript | null {
  switch (type) {
    case 'code_interpreter':
      return 'code';
    case 'file_search':
      return 'file_search';
    case 'web_search':
    case 'web_search_preview':
    case 'web_search_2025_08_26':
    case 'web_search_preview_2025_03_11':
      return 'web_search';
    case 'mcp':
      return 'mcp';
    case 'image_generation':
      return 'image';
    default:
      return null;
  }
}
