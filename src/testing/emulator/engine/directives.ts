import { badRequest } from '../engine/errors';
import { RESPONSE_SCRIPTS, type ResponseScript } from '../options';

// Per-agent scripting for apps that do not build their requests themselves (the OpenAI Agents SDK
// builds every Responses request of a run, so `metadata.script` cannot vary per call; a voice agent's
// RealtimeSession sends each agent's instructions in its session.update): markers in the request's or
// session's `instructions`, which each agent has its own of. See the emulator README.
//
//   [emulator:call=get_weather]         one model turn calling get_weather (a second `call=` marker is
//                                       the next turn; `call=a,b` calls a and b in parallel)
//   [emulator:handoff=Weather agent]    one turn calling transfer_to_Weather_agent (the SDK's tool name)
//   [emulator:script=function]          the script of every request (as metadata.script): `function`
//                                       keeps calling a tool, the max-turns flow
//   [emulator:true-when=password]       booleans in JSON (structured output, guardrail verdicts) are true
//                                       iff the last user message contains "password" (case-insensitive)

/** The item fields the markers' turn counting reads (a Responses item, a Realtime conversation item). */
export interface ScriptedItem {
  type: string;
  role?: string;
  name?: string;
  call_id?: string | null;
}

export interface Directives {
  script: ResponseScript | null;
  /** The scripted turns: the function names each one calls (handoffs resolved to their tool). */
  steps: string[][];
  trueWhen: string | null;
}

const MARKER = /\[emulator:([a-z-]+)(?:=([^\]]*))?\]/g;
const NONE: Directives = { script: null, steps: [], trueWhen: null };

/** The SDK's handoff tool name for an agent name (non-alphanumerics become `_`). */
export function handoffToolName(agentName: string): string {
  return `transfer_to_${agentName.trim().replace(/[^a-zA-Z0-9]/g, '_')}`;
}

export function isHandoffTool(name: string): boolean {
  return name.startsWith('transfer_to_');
}

/** Reads the markers of `instructions`; `functions`: the request's function tool names. */
export function parseDirectives(instructions: string | null, functions: readonly string[]): Directives {
  if (!instructions || !instructions.includes('[emulator:')) return NONE;
  const out: Directives = { script: null, steps: [], trueWhen: null };
  for (const [, key, raw] of instructions.matchAll(MARKER)) {
    const value = (raw ?? '').trim();
    switch (key) {
      case 'script':
        if (!(RESPONSE_SCRIPTS as readonly string[]).includes(value)) {
          throw badRequest(`Unknown emulator script '${value}' in [emulator:script=…]. Expected one of: ${RESPONSE_SCRIPTS.join(', ')}.`, 'instructions', 'invalid_value');
        }
        out.script = value as ResponseScript;
        break;
      case 'call':
        out.steps.push(value.split(',').map((name) => knownTool(name.trim(), functions)));
        break;
      case 'handoff':
        out.steps.push([functions.includes(value) ? value : knownTool(handoffToolName(value), functions)]);
        break;
      case 'true-when':
        out.trueWhen = value.toLowerCase();
        break;
      default:
        throw badRequest(`Unknown emulator marker '[emulator:${String(key)}]' in instructions. Expected call=, handoff=, script= or true-when=.`, 'instructions', 'invalid_value');
    }
  }
  return out;
}

function knownTool(name: string, functions: readonly string[]): string {
  if (functions.includes(name)) return name;
  const offered = functions.length > 0 ? functions.join(', ') : 'none';
  throw badRequest(`The emulator was asked to call '${name}', but the request has no such function tool (tools: ${offered}).`, 'instructions', 'invalid_value');
}

/** The items after the last user message: this user turn's work so far. */
function sinceLastUserMessage(items: readonly ScriptedItem[]): readonly ScriptedItem[] {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as ScriptedItem;
    if (item.type === 'message' && item.role === 'user') return items.slice(i + 1);
  }
  return items;
}

/**
 * The next scripted turn's calls: the first step whose calls this user turn has not made yet (calls
 * are counted by name, so `call=a` twice means two turns calling a). Null when every step is done.
 */
export function nextStep(steps: readonly string[][], items: readonly ScriptedItem[]): string[] | null {
  const made = new Map<string, number>();
  for (const item of sinceLastUserMessage(items)) {
    if (item.type === 'function_call') made.set(item.name ?? '', (made.get(item.name ?? '') ?? 0) + 1);
  }
  for (const step of steps) {
    const done = step.every((name) => {
      const n = made.get(name) ?? 0;
      made.set(name, n - 1);
      return n > 0;
    });
    if (!done) return step;
  }
  return null;
}

/**
 * The function an unscripted turn calls: the first that is not a handoff; a handoff only when the
 * agent has nothing else to call and no handoff happened yet this user turn (so a handoff target does
 * not hand back and forth). Null: nothing to call.
 */
export function defaultFunction(functions: readonly string[], items: readonly ScriptedItem[]): string | null {
  const own = functions.find((name) => !isHandoffTool(name));
  if (own !== undefined) return own;
  const handedOff = sinceLastUserMessage(items).some((item) => item.type === 'function_call' && isHandoffTool(item.name ?? ''));
  return handedOff ? null : (functions[0] ?? null);
}

/**
 * Whether the request is the follow-up of this agent's own calls: it ends with function_call_output
 * items answering calls to tools the request offers (or it offers none). Outputs of calls to tools it
 * does not offer are a previous agent's (the handoff that led here): this agent has not acted yet.
 */
export function answersOwnCalls(functions: readonly string[], items: readonly ScriptedItem[]): boolean {
  const last = items[items.length - 1];
  if (last?.type !== 'function_call_output') return false;
  if (functions.length === 0) return true;
  const answered = new Set<string>();
  for (let i = items.length - 1; i >= 0 && items[i]?.type === 'function_call_output'; i--) answered.add((items[i] as { call_id: string }).call_id);
  return items.some((item) => item.type === 'function_call' && answered.has(item.call_id ?? '') && functions.includes(item.name ?? ''));
}
