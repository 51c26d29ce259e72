import { badRequest, invalidType } from '../engine/errors';
import { nowSeconds } from '../engine/store';
import * as v from '../engine/validate';
import { paginate, queryValue } from '../http/pagination';
import { route, type ApiRequest, type Route } from '../http/router';
import { conversationRoutes } from './routes-conversations';
import { conversationId, echoTools, includeList, listed, parseItems, textFormat, textVerbosity, type Body } from './request';
import { lastUserQuestion, type ConversationRecord, type ResponseContext } from './context';
import type { ResponseEngine } from './response-engine';
import { ResponseMachine } from './response-machine';
import { responseScriptStages } from './scripts';
import { chooseResponseTurn } from './choose-script';
import { responseStream } from './stream';
import type { StoredItem, WireResponse } from './types';

// The Responses API: POST /responses, GET/DELETE /responses/{id}, POST /responses/{id}/cancel,
// GET /responses/{id}/input_items (and, after them, the Conversations routes).

/** What came before a request: the previous_response_id chain or the conversation's items. */
function priorItems(engine: ResponseEngine, body: Body): { previous: string | null; conversation: ConversationRecord | null; history: StoredItem[] } {
  const previous = v.optionalString(body, 'previous_response_id') ?? null;
  const convId = conversationId(body);
  if (previous && convId) {
    throw badRequest("Mutually exclusive parameters: Ensure you are only providing one of: 'previous_response_id' or 'conversation'.", null, 'mutually_exclusive_parameters');
  }
  const conversation: ConversationRecord | null = convId ? engine.conversation(convId) : null;
  const history: StoredItem[] = previous ? engine.chain(previous) : conversation ? structuredClone(conversation.items) : [];
  return { previous, conversation, history };
}

/** The request's fields the response object echoes (already validated). */
interface Echoed {
  model: string;
  background: boolean;
  store: boolean;
  previous: string | null;
  metadata: Record<string, string>;
  tools: Array<Record<string, unknown>>;
  reasoning: Body | null;
  format: Record<string, unknown>;
  verbosity: string;
  toolChoice: unknown;
}

/** The response object as created, with the request's settings (and the defaults the API fills in). */
function newResponse(ctx: ResponseContext, body: Body, f: Echoed): WireResponse {
  const summary = f.reasoning?.['summary'];
  return {
    id: ctx.ids.hexId('resp_'),
    object: 'response',
    created_at: nowSeconds(),
    status: f.background ? 'queued' : 'in_progress',
    background: f.background,
    billing: { payer: 'developer' },
    completed_at: null,
    error: null,
    frequency_penalty: v.optionalNumber(body, 'frequency_penalty', -2, 2) ?? 0,
    incomplete_details: null,
    instructions: v.optionalString(body, 'instructions') ?? null,
    max_output_tokens: v.optionalInteger(body, 'max_output_tokens', 16) ?? null,
    max_tool_calls: v.optionalInteger(body, 'max_tool_calls', 1) ?? null,
    model: f.model,
    output: [],
    parallel_tool_calls: v.optionalBoolean(body, 'parallel_tool_calls') ?? true,
    presence_penalty: v.optionalNumber(body, 'presence_penalty', -2, 2) ?? 0,
    previous_response_id: f.previous,
    prompt_cache_key: v.optionalString(body, 'prompt_cache_key') ?? null,
    prompt_cache_retention: null,
    reasoning: {
      effort: typeof f.reasoning?.['effort'] === 'string' ? f.reasoning['effort'] : null,
      // Recorded: a requested 'auto' summary is echoed as the one the model used.
      summary: typeof summary === 'string' ? (summary === 'auto' ? 'detailed' : summary) : null,
    },
    safety_identifier: v.optionalString(body, 'safety_identifier') ?? null,
    service_tier: 'auto',
    store: f.store,
    temperature: v.optionalNumber(body, 'temperature', 0, 2) ?? 1.0,
    text: { format: f.format, verbosity: f.verbosity },
    tool_choice: f.toolChoice as WireResponse['tool_choice'],
    tools: f.tools as unknown as WireResponse['tools'],
    top_logprobs: v.optionalInteger(body, 'top_logprobs', 0) ?? 0,
    top_p: v.optionalNumber(body, 'top_p', 0, 1) ?? 1.0,
    truncation: body['truncation'] === 'auto' ? 'auto' : 'disabled',
    usage: null,
    user: v.optionalString(body, 'user') ?? null,
    metadata: f.metadata,
  };
}

function create(ctx: ResponseContext, engine: ResponseEngine, req: ApiRequest): unknown {
  const body = v.asBody(req.body);
  const m = createResponse(ctx, engine, body);
  if (v.optionalBoolean(body, 'stream') === true) return responseStream(m, -1);
  if (!m.response.background) m.drain();
  return m.response;
}

/**
 * A new response from a create request's body (validated), its machine loaded with its script and
 * registered: the one engine behind `POST /responses` and a `response.create` over WebSocket.
 */
export function createResponse(ctx: ResponseContext, engine: ResponseEngine, body: Body): ResponseMachine {
  const model = v.requiredString(body, 'model');
  const background = v.optionalBoolean(body, 'background') === true;
  const store = v.optionalBoolean(body, 'store') ?? true;
  if (background && !store) throw badRequest('Background mode requires store=true.', 'store', 'invalid_value');
  const { previous, conversation, history } = priorItems(engine, body);
  const inputItems = parseItems(ctx, body['input'], 'input', history);
  const metadata = v.metadata(body) ?? {};
  const tools = echoTools(body['tools']);
  const reasoningBody = v.optionalObject(body, 'reasoning') ?? null;
  const format = textFormat(body);
  const verbosity = textVerbosity(body);
  const include = includeList(body['include'], 'include');
  const toolChoice = body['tool_choice'] ?? 'auto';
  const instructions = v.optionalString(body, 'instructions') ?? null;
  const { script, calls, booleans } = chooseResponseTurn({ metadata, instructions, toolChoice, tools, reasoning: reasoningBody, history, input: inputItems });
  if (script === 'cancel' && !background) {
    throw badRequest("The emulator's 'cancel' script needs background: true (only background responses can be cancelled).", 'metadata.script');
  }
  const response = newResponse(ctx, body, { model, background, store, previous, metadata, tools, reasoning: reasoningBody, format, verbosity, toolChoice });
  if (conversation) response.conversation = { id: conversation.conversation.id };
  const question = lastUserQuestion([...history, ...inputItems]);
  const m = new ResponseMachine(ctx, response, inputItems, history, conversation, script, include, { tools, textFormat: format, question, calls, booleans });
  m.load(responseScriptStages(m));
  engine.machines.set(response.id, m);
  return m;
}

export function responseRoutes(ctx: ResponseContext, engine: ResponseEngine): Route[] {
  const p = (req: ApiRequest, name: string) => req.params[name] as string;
  return [
    route('POST', '/responses', (req) => create(ctx, engine, req)),
    route('GET', '/responses/:response_id', (req) => {
      const m = engine.machine(p(req, 'response_id'));
      if (queryValue(req.query, 'stream') === 'true') {
        if (!m.response.background) {
          throw badRequest('This response cannot be streamed because it was not created with background=true.', 'stream');
        }
        const after = queryValue(req.query, 'starting_after');
        const n = after === undefined ? -1 : Number(after);
        if (!Number.isInteger(n) || n < -1) throw invalidType('starting_after', 'an integer', after);
        return responseStream(m, n);
      }
      if (m.response.background) m.poll();
      return m.response;
    }),
    route('POST', '/responses/:response_id/cancel', (req) => {
      const m = engine.machine(p(req, 'response_id'));
      m.cancel();
      return m.response;
    }),
    route('DELETE', '/responses/:response_id', (req) => {
      const m = engine.machine(p(req, 'response_id'));
      engine.machines.delete(m.response.id);
      return { id: m.response.id, object: 'response', deleted: true };
    }),
    route('GET', '/responses/:response_id/input_items', (req) => {
      const m = engine.machine(p(req, 'response_id'));
      return paginate(listed(m.inputItems), req.query);
    }),

    ...conversationRoutes(ctx, engine),
  ];
}
