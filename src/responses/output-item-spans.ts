import { ROOT_CONTEXT, trace, type Attributes, type Span, type SpanContext } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { serverToolCallPart, toolCallPart, type GenAIMessage, type Part } from '../trace/genai-messages';
import { arr, obj, str, type Obj } from '../util/json';
import { INTERNAL } from '../trace/call-attributes';
import type { Services } from '../services';
import type { ContentPolicy } from '../trace/content';
import { markApiError } from '../trace/errors';

/** One output item of a response, with what a stream showed of it. */
export interface ItemRecord {
  item: Obj;
  /** Client-clock times from `response.output_item.added` / `.done` (streams only). */
  start?: number;
  end?: number;
  deltas: number;
}

/** What the item mapping needs to know about the response the items belong to. */
interface ItemContext {
  span: Span;
  base: Attributes;
  /** Vector store ids of the request's file_search tools. */
  vectorStoreIds: string[];
  start: number;
  end: number;
  /** The call's function calls are executed and traced by an agent framework: no item spans for them. */
  toolsTracedElsewhere?: boolean;
}

/** How an output item type shows as a span: name, spanlens.kind / spanlens.subtype, tool name. */
interface ItemShape {
  name: string;
  kind: 'llm' | 'tool' | 'item';
  subtype: string;
  tool?: string;
}

const TOOL_SUBTYPES: Record<string, [subtype: string, tool: string]> = {
  code_interpreter_call: ['code', 'code_interpreter'],
  file_search_call: ['retrieval', 'file_search'],
  web_search_call: ['web_search', 'web_search'],
  image_generation_call: ['image', 'image_generation'],
  computer_call: ['computer', 'computer'],
  local_shell_call: ['shell', 'local_shell'],
  shell_call: ['shell', 'shell'],
  mcp_list_tools: ['mcp', 'mcp_list_tools'],
  mcp_approval_request: ['mcp', 'mcp_approval_request'],
};

function shapeOf(item: Obj): ItemShape {
  const type = str(item.type) ?? 'unknown';
  if (type === 'message') return { name: 'message', kind: 'llm', subtype: 'message' };
  if (type === 'reasoning') return { name: 'reasoning', kind: 'llm', subtype: 'reasoning' };
  if (type === 'function_call' || type === 'custom_tool_call') {
    const tool = str(item.name) ?? 'function';
    return { name: `execute_tool ${tool}`, kind: 'tool', subtype: 'function', tool };
  }
  if (type === 'mcp_call') {
    const tool = str(item.name) ?? 'mcp';
    return { name: `execute_tool ${tool}`, kind: 'tool', subtype: 'mcp', tool };
  }
  const known = TOOL_SUBTYPES[type];
  if (known) return { name: `execute_tool ${known[1]}`, kind: 'tool', subtype: known[0], tool: known[1] };
  // A type this version does not know: still a span, named for its type, never dropped.
  return type.endsWith('_call') ? { name: `execute_tool ${type.slice(0, -5)}`, kind: 'tool', subtype: type.slice(0, -5), tool: type.slice(0, -5) } : { name: type, kind: 'item', subtype: type };
}

/** A function_call (or custom_tool_call) item and its ended span, for the app's tool work later. */
export interface CallItem {
  item: Obj;
  span: SpanContext;
}

/**
 * The one output-item-to-span mapping: each item of a response is a child span of the response span,
 * in the spanlens.kind / spanlens.subtype vocabulary of run steps. Streamed items carry their client-clock
 * times; items of a non-streamed response split its interval in order (marked `estimated`, so nothing
 * collapses to an instant). Every child lies inside the response span's interval. Item spans are INTERNAL:
 * derived from the response, with no request of their own, they never pose as inference operations.
 * Returns the function call items with their spans (none when an agent framework traces its tools).
 */
export function emitItemSpans(env: Services, ctx: ItemContext, records: ItemRecord[]): CallItem[] {
  const calls: CallItem[] = [];
  const tracer = env.tracer();
  const parent = trace.setSpan(ROOT_CONTEXT, ctx.span);
  if (ctx.toolsTracedElsewhere) records = records.filter((r) => r.item.type !== 'function_call' && r.item.type !== 'custom_tool_call');
  const lo = ctx.start;
  const hi = Math.max(ctx.end, lo);
  const clamp = (t: number): number => Math.min(Math.max(t, lo), hi);
  const slice = (hi - lo) / Math.max(1, records.length);
  for (let i = 0; i < records.length; i++) {
    const rec = records[i]!;
    const item = rec.item;
    const shape = shapeOf(item);
    const streamed = rec.start !== undefined && rec.end !== undefined;
    const start = clamp(rec.start ?? lo + i * slice);
    const end = Math.max(start, clamp(rec.end ?? lo + (i + 1) * slice));
    const draft: ItemDraft = { attrs: itemAttributes(ctx, item, shape, streamed), content: env.content };
    ITEM_DETAILS.get(str(item.type) ?? '')?.(draft, item, rec, ctx);
    const span = tracer.startSpan(shape.name, { kind: INTERNAL, startTime: start, attributes: draft.attrs }, parent);
    markItemError(span, item);
    span.end(end);
    if (item.type === 'function_call' || item.type === 'custom_tool_call') calls.push({ item, span: span.spanContext() });
  }
  return calls;
}

/** What every item span carries: identity, status, timing and, for tools, the GenAI tool attributes. */
function itemAttributes(ctx: ItemContext, item: Obj, shape: ItemShape, streamed: boolean): Attributes {
  const attrs: Attributes = { ...ctx.base, [A.kind]: shape.kind, [A.subtype]: shape.subtype };
  const id = str(item.id);
  if (id) attrs[A.itemId] = id;
  attrs[A.itemType] = str(item.type) ?? 'unknown';
  const status = str(item.status);
  if (status) attrs[A.itemStatus] = status;
  if (!streamed) attrs[A.itemTiming] = 'estimated';
  if (shape.tool) {
    Object.assign(attrs, {
      [A.operation]: 'execute_tool',
      [A.toolName]: shape.tool,
      [A.toolType]: shape.subtype === 'function' ? 'function' : 'extension',
      [A.toolCallId]: str(item.call_id) ?? id ?? '',
    });
  }
  return attrs;
}

/** An item span's attributes while they are written, with what content capture needs. */
interface ItemDraft {
  attrs: Attributes;
  content: ContentPolicy;
}

/** Sets a content attribute if the content policy lets it through. */
function put(d: ItemDraft, key: string, value: unknown): void {
  const v = d.content.capture(key, value);
  if (v !== undefined) d.attrs[key] = v;
}

type ItemDetails = (d: ItemDraft, item: Obj, rec: ItemRecord, ctx: ItemContext) => void;

// The result is not known when the response completes: the app's function_call_output makes a span of its
// own (tool-outputs.ts), linked to this one.
const functionCallDetails: ItemDetails = (d, item) => put(d, A.toolArguments, str(item.arguments) ?? str(item.input));

/** What an item's span says beyond its identity, per item type (other types: identity only). */
const ITEM_DETAILS = new Map<string, ItemDetails>([
  [
    'message',
    // Time to first chunk is the response's (from its request); the item counts its deltas.
    (d, item, rec) => {
      put(d, A.outputMessages, [outputMessage(item)]);
      if (rec.deltas) d.attrs[A.deltaCount] = rec.deltas;
    },
  ],
  [
    'reasoning',
    (d, item) =>
      put(
        d,
        A.reasoningSummary,
        arr(item.summary)
          .map((p) => str(obj(p)?.text) ?? '')
          .join('\n') || undefined,
      ),
  ],
  ['function_call', functionCallDetails],
  ['custom_tool_call', functionCallDetails],
  [
    'mcp_call',
    (d, item) => {
      if (str(item.server_label)) d.attrs[A.mcpServer] = str(item.server_label)!;
      put(d, A.toolArguments, str(item.arguments));
      put(d, A.toolResult, str(item.output));
    },
  ],
  [
    'code_interpreter_call',
    (d, item) => {
      if (str(item.container_id)) d.attrs[A.containerId] = str(item.container_id)!;
      put(d, A.codeInput, str(item.code));
      const logs = arr(item.outputs)
        .map(obj)
        .filter((o) => o?.type === 'logs')
        .map((o) => str(o?.logs) ?? '');
      put(d, A.codeOutput, logs.length ? logs.join('\n') : undefined);
    },
  ],
  [
    'file_search_call',
    (d, item, _rec, ctx) => {
      const results = arr(item.results)
        .map(obj)
        .filter((r): r is Obj => r !== undefined);
      d.attrs[A.vectorStoreIds] = ctx.vectorStoreIds;
      if (ctx.vectorStoreIds.length) d.attrs[A.dataSourceId] = ctx.vectorStoreIds.join(',');
      d.attrs[A.resultCount] = results.length;
      put(d, A.searchQueries, arr(item.queries).length ? item.queries : undefined);
      put(d, A.retrievalResults, results.length ? results.map((r) => ({ file_id: r.file_id, filename: r.filename, score: r.score, text: r.text })) : undefined);
    },
  ],
  [
    'web_search_call',
    (d, item) => {
      const action = obj(item.action);
      if (str(action?.type)) d.attrs['spanlens.web_search.action'] = str(action?.type)!;
      put(d, A.searchQueries, str(action?.query) ? [action?.query] : undefined);
    },
  ],
  [
    'image_generation_call',
    (d, item) => {
      // The image itself (base64) never goes on a span: its size does.
      if (str(item.result)) d.attrs['spanlens.image.base64_chars'] = str(item.result)!.length;
    },
  ],
]);

/** A message output item as a GenAI output message. */
export function outputMessage(item: Obj): GenAIMessage {
  const parts: Part[] = arr(item.content).map((raw) => {
    const p = obj(raw);
    if (p?.type === 'refusal') return { type: 'text', content: str(p.refusal) ?? '' };
    return { type: 'text', content: str(p?.text) ?? '' };
  });
  return { role: str(item.role) ?? 'assistant', parts, finish_reason: item.status === 'incomplete' ? 'length' : 'stop' };
}

/**
 * An output item as a GenAI message part (the response's output messages): a function the app runs is a
 * `tool_call` (arguments as an object when they parse), a tool the provider ran (code interpreter, file
 * search, web search, MCP, …) a `server_tool_call` naming the tool; messages and reasoning have no part here.
 */
export function itemPart(item: Obj): Part | undefined {
  const type = str(item.type);
  if (type === 'function_call' || type === 'custom_tool_call') return toolCallPart(str(item.call_id) ?? str(item.id) ?? '', str(item.name) ?? 'tool', str(item.arguments) ?? str(item.input));
  const shape = shapeOf(item);
  if (shape.kind !== 'tool') return undefined;
  const details: Record<string, unknown> = {};
  if (type === 'mcp_call') details.server_label = str(item.server_label);
  return serverToolCallPart(str(item.id) ?? '', shape.tool ?? type ?? 'tool', details);
}

function markItemError(span: Span, item: Obj): void {
  const failed = item.status === 'failed' || item.status === 'incomplete' || str(item.error) !== undefined || obj(item.error) !== undefined;
  if (!failed || item.type === 'message') return;
  markApiError(span, item.error, String(item.status ?? 'failed'), `${String(item.type)} ${String(item.status)}`);
}
