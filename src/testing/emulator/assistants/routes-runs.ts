import type { ParsedMessage } from '../engine/entities';
import { badRequest, invalidType, invalidValue, missingParam } from '../engine/errors';
import { paginate, queryList, type Query } from '../http/pagination';
import { route, type ApiRequest, type Route } from '../http/router';
import type { Deps } from './deps';
import type { RunMachine } from './run-machine';
import type { RunParams, ToolOutput } from './run-objects';
import { FILE_SEARCH_CONTENT, stepView } from './step-view';
import { runStream } from './stream-runs';
import type { WireRun } from '../engine/types';
import * as v from '../engine/validate';

/** `stream: true` → the route answers with SSE events (see stream-runs.ts) instead of the run. */
function wantsStream(body: v.Body): boolean {
  return v.optionalBoolean(body, 'stream') === true;
}

/** `include[]` values (the only one the API knows adds file_search result content). */
function includes(query: Query): string[] {
  const list = queryList(query, 'include');
  list.forEach((value, i) => {
    if (value !== FILE_SEARCH_CONTENT) {
      throw invalidValue(`include[${i}]`, `Invalid value: '${value}'. Supported values are: '${FILE_SEARCH_CONTENT}'.`);
    }
  });
  return list;
}

function toolChoice(body: v.Body): WireRun['tool_choice'] | undefined {
  const c = body['tool_choice'];
  if (c === undefined || c === null) return undefined;
  if (c === 'none' || c === 'auto' || c === 'required') return c;
  if (typeof c === 'object' && !Array.isArray(c)) {
    const t = (c as v.Body)['type'];
    if (t === 'function' || t === 'code_interpreter' || t === 'file_search') return c as WireRun['tool_choice'];
  }
  throw invalidValue('tool_choice', `Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or a tool choice object.`);
}

function runParams(body: v.Body, deps: Deps, createAndRun: boolean): RunParams {
  const params: RunParams = {
    model: v.optionalString(body, 'model'),
    instructions: v.optionalString(body, 'instructions'),
    tools: v.tools(body),
    metadata: v.metadata(body),
    temperature: v.optionalNumber(body, 'temperature', 0, 2),
    top_p: v.optionalNumber(body, 'top_p', 0, 1),
    max_completion_tokens: v.optionalInteger(body, 'max_completion_tokens', 1),
    max_prompt_tokens: v.optionalInteger(body, 'max_prompt_tokens', 1),
    truncation_strategy: (v.optionalObject(body, 'truncation_strategy') as WireRun['truncation_strategy']) ?? undefined,
    response_format: (body['response_format'] as WireRun['response_format']) ?? undefined,
    tool_choice: toolChoice(body),
    reasoning_effort: v.optionalString(body, 'reasoning_effort'),
  };
  const parallel = v.optionalBoolean(body, 'parallel_tool_calls');
  if (parallel !== undefined) params.parallel_tool_calls = parallel;
  if (createAndRun) {
    params.tool_resources = v.toolResources(body, 'tool_resources', (ids) => deps.entities.createVectorStore({ file_ids: ids }).id);
  } else {
    params.additional_instructions = v.optionalString(body, 'additional_instructions');
  }
  return params;
}

function toolOutputs(body: v.Body): ToolOutput[] {
  const list = v.optionalArray(body, 'tool_outputs');
  if (!list) throw missingParam('tool_outputs');
  return list.map((raw, i) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidType(`tool_outputs[${i}]`, 'an object', raw);
    const o = raw as v.Body;
    const id = o['tool_call_id'];
    if (typeof id !== 'string' || id === '') throw missingParam(`tool_outputs[${i}].tool_call_id`);
    const output = o['output'] ?? '';
    if (typeof output !== 'string') throw invalidType(`tool_outputs[${i}].output`, 'a string', output);
    return { tool_call_id: id, output };
  });
}

const param = (req: ApiRequest, name: string) => req.params[name] as string;

function machineOf({ store, engine }: Deps, req: ApiRequest): RunMachine {
  const run = store.run(param(req, 'thread_id'), param(req, 'run_id'));
  const m = engine.machine(run.id);
  if (!m) throw new Error(`run ${run.id} has no state machine`);
  return m;
}

/** POST /threads/runs: a new thread and its first run; the thread goes again when the run is refused. */
function createThreadAndRun(deps: Deps, req: ApiRequest): unknown {
  const { store, entities, engine } = deps;
  const body = v.asBody(req.body);
  const stream = wantsStream(body);
  const include = includes(req.query);
  const assistantId = v.requiredString(body, 'assistant_id');
  const params = runParams(body, deps, true);
  const threadBody = v.optionalObject(body, 'thread') ?? {};
  const assistant = store.assistant(assistantId);
  const rec = entities.createThread(threadBody);
  try {
    const m = engine.createRun(rec, assistant, params, { include, additionalMessages: [], threadCreated: true });
    return stream ? runStream(m, 0) : m.run;
  } catch (err) {
    store.threads.delete(rec.thread.id);
    throw err;
  }
}

function createRun(deps: Deps, req: ApiRequest): unknown {
  const { store, entities, engine } = deps;
  const rec = store.thread(param(req, 'thread_id'));
  const body = v.asBody(req.body);
  const stream = wantsStream(body);
  const include = includes(req.query);
  const assistantId = v.requiredString(body, 'assistant_id');
  const params = runParams(body, deps, false);
  const additional: ParsedMessage[] = (v.optionalArray(body, 'additional_messages') ?? []).map((m, i) => entities.parseMessage(m, `additional_messages[${i}]`));
  const assistant = store.assistant(assistantId);
  const m = engine.createRun(rec, assistant, params, { include, additionalMessages: additional, threadCreated: false });
  return stream ? runStream(m, 0) : m.run;
}

function modifyRun({ store }: Deps, req: ApiRequest): WireRun {
  const run = store.run(param(req, 'thread_id'), param(req, 'run_id'));
  const body = v.asBody(req.body);
  // Recorded real-API behaviour: a run that is being worked on cannot be modified.
  if (run.status === 'queued' || run.status === 'in_progress' || run.status === 'cancelling') {
    throw badRequest(`Cannot update run with status '${run.status}'.`);
  }
  if (v.has(body, 'metadata')) run.metadata = v.metadata(body) ?? {};
  return run;
}

function submitOutputs(deps: Deps, req: ApiRequest): unknown {
  const m = machineOf(deps, req);
  const body = v.asBody(req.body);
  const stream = wantsStream(body);
  // The stream of a submit starts with what the outputs set off: the tool_calls step completing.
  const from = m.transitions.length;
  m.submitToolOutputs(toolOutputs(body));
  return stream ? runStream(m, from) : m.run;
}

function stepRoutes({ store }: Deps): Route[] {
  return [
    route('GET', '/threads/:thread_id/runs/:run_id/steps', (req) => {
      const run = store.run(param(req, 'thread_id'), param(req, 'run_id'));
      const withContent = includes(req.query).length > 0;
      const page = paginate(store.runSteps(run.id), req.query);
      return { ...page, data: page.data.map((s) => stepView(s, withContent)) };
    }),
    route('GET', '/threads/:thread_id/runs/:run_id/steps/:step_id', (req) => {
      const step = store.step(param(req, 'thread_id'), param(req, 'run_id'), param(req, 'step_id'));
      return stepView(step, includes(req.query).length > 0);
    }),
  ];
}

export function runRoutes(deps: Deps): Route[] {
  const { store } = deps;
  return [
    // createAndRun: must precede POST /threads/:thread_id.
    route('POST', '/threads/runs', (req) => createThreadAndRun(deps, req)),
    route('POST', '/threads/:thread_id/runs', (req) => createRun(deps, req)),
    route('GET', '/threads/:thread_id/runs', (req) => {
      const rec = store.thread(param(req, 'thread_id'));
      const runs = rec.runIds.map((id) => store.runs.get(id)).filter((r): r is WireRun => r !== undefined);
      return paginate(runs, req.query);
    }),
    route('GET', '/threads/:thread_id/runs/:run_id', (req) => {
      const m = machineOf(deps, req);
      m.poll();
      return m.run;
    }),
    route('POST', '/threads/:thread_id/runs/:run_id', (req) => modifyRun(deps, req)),
    route('POST', '/threads/:thread_id/runs/:run_id/cancel', (req) => {
      const m = machineOf(deps, req);
      m.cancel();
      return m.run;
    }),
    route('POST', '/threads/:thread_id/runs/:run_id/submit_tool_outputs', (req) => submitOutputs(deps, req)),
    ...stepRoutes(deps),
  ];
}
