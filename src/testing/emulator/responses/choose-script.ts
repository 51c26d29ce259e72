import { badRequest } from '../engine/errors';
import { RESPONSE_SCRIPTS, type ResponseScript } from '../options';
import type { StoredItem } from './types';

// Which script a Responses request follows (see ResponseScript in options.ts).

type Body = Record<string, unknown>;

function isObject(x: unknown): x is Body {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Does the request end with function_call_output items (the follow-up of a function call)? */
export function endsWithToolOutputs(input: readonly StoredItem[]): boolean {
  return input.length > 0 && input[input.length - 1]?.type === 'function_call_output';
}

/**
 * `metadata.script` ?? a choice from the rest of the request: a follow-up carrying function_call_output
 * items gets its answer; tool_choice 'none' answers; a forced tool type, else the first tool of a known
 * type, picks its script; a `reasoning` request picks 'reasoning'; otherwise 'answer'.
 */
export function chooseResponseScript(
  metadata: Record<string, string> | undefined,
  toolChoice: unknown,
  tools: ReadonlyArray<Body>,
  reasoning: Body | null,
  input: readonly StoredItem[],
): ResponseScript {
  const explicit = metadata?.['script'];
  if (explicit !== undefined) {
    if (!(RESPONSE_SCRIPTS as readonly string[]).includes(explicit)) {
      throw badRequest(`Unknown emulator script '${explicit}' in metadata.script. Expected one of: ${RESPONSE_SCRIPTS.join(', ')}.`, 'metadata.script', 'invalid_value');
    }
    return explicit as ResponseScript;
  }
  if (endsWithToolOutputs(input)) return 'answer';
  if (toolChoice === 'none') return 'answer';
  const byType = (type: unknown): ResponseScript | null => {
    switch (type) {
      case 'function':
        return 'function';
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
  };
  if (isObject(toolChoice)) {
    const forced = byType(toolChoice['type']);
    if (forced) return forced;
  }
  for (const t of tools) {
    const s = byType(t['type']);
    if (s) return s;
  }
  if (reasoning && (reasoning['effort'] || reasoning['summary'])) return 'reasoning';
  return 'answer';
}
