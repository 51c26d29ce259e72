import type { Attributes, Span } from '@opentelemetry/api';
import { A, PROVIDER } from '../trace/attributes';
import type { ContentPolicy } from '../trace/content';
import { markError } from '../trace/errors';
import { arr, obj, str, type Obj } from '../util/json';
import type { SdkSpan, SpanData } from './sdk';

// How each kind of SDK span shows in OTel. task, turn, response and generation spans are not exported:
// a task merges into the run's root agent span, a turn's children hang on its agent, and the model call a
// response / generation span wraps is our own `chat {model}` span (one model call, one span).

/** An SDK span type that becomes an OTel span: its name and attributes at start. */
export interface Shape {
  name: string;
  attributes: Attributes;
}

const SHAPES: Record<string, (d: SpanData) => Shape> = {
  agent: (d) => agentShape(str(d.name)),
  function: (d) => {
    const name = str(d.name) ?? 'function';
    return {
      name: `execute_tool ${name}`,
      attributes: { [A.operation]: 'execute_tool', [A.kind]: 'tool', [A.subtype]: 'function', [A.toolName]: name, [A.toolType]: 'function' },
    };
  },
  handoff: (d) => ({ name: `handoff ${str(d.from_agent) ?? ''}`.trim(), attributes: { [A.kind]: 'handoff', ...(str(d.from_agent) ? { [A.handoffFrom]: str(d.from_agent)! } : {}) } }),
  guardrail: (d) => ({ name: `guardrail ${str(d.name) ?? ''}`.trim(), attributes: { [A.kind]: 'guardrail', [A.guardrailName]: str(d.name) ?? '' } }),
  custom: (d) => ({ name: str(d.name) ?? 'custom', attributes: { [A.kind]: 'custom' } }),
  mcp_tools: (d) => ({ name: `mcp list_tools ${str(d.server) ?? ''}`.trim(), attributes: { [A.kind]: 'tool', [A.subtype]: 'mcp', ...(str(d.server) ? { [A.mcpServer]: str(d.server)! } : {}) } }),
};

/** The shape of an SDK span, or undefined for the types that are not exported. */
export function shapeOf(data: SpanData): Shape | undefined {
  const make = typeof data.type === 'string' ? SHAPES[data.type] : undefined;
  return make?.(data);
}

export function agentShape(name: string | undefined): Shape {
  const attributes: Attributes = { [A.operation]: 'invoke_agent', [A.provider]: PROVIDER, [A.kind]: 'agent' };
  if (name) attributes[A.agentName] = name;
  // The conventions: `invoke_agent {gen_ai.agent.name}`, `invoke_agent` alone without a name.
  return { name: name ? `invoke_agent ${name}` : 'invoke_agent', attributes };
}

/**
 * What an SDK span knows only at its end (an agent's tools and handoffs, a tool's input and output, a
 * handoff's target, a guardrail's verdict, an error), put on its OTel span.
 */
export function applyEnd(span: Span, sdk: SdkSpan, content: ContentPolicy, callId?: string): void {
  const d = sdk.spanData;
  switch (d.type) {
    case 'agent':
      putList(span, A.agentTools, d.tools);
      putList(span, A.agentHandoffs, d.handoffs);
      if (str(d.output_type)) span.setAttribute(A.agentOutputType, str(d.output_type)!);
      break;
    case 'function':
      if (callId) span.setAttribute(A.toolCallId, callId);
      put(span, content, A.toolArguments, str(d.input));
      put(span, content, A.toolResult, typeof d.output === 'string' ? d.output : d.output === undefined ? undefined : JSON.stringify(d.output));
      if (str(obj(d.mcp_data)?.server)) span.setAttribute(A.mcpServer, str(obj(d.mcp_data)?.server)!);
      break;
    case 'handoff':
      if (str(d.to_agent)) {
        span.setAttribute(A.handoffTo, str(d.to_agent)!);
        span.updateName(`handoff ${str(d.from_agent) ?? '?'} → ${str(d.to_agent)!}`);
      }
      break;
    case 'guardrail':
      span.setAttribute(A.guardrailTriggered, d.triggered === true);
      break;
    case 'custom':
      put(span, content, A.customData, d.data === undefined ? undefined : d.data);
      break;
  }
  if (sdk.error) markSdkError(span, sdk.error, content);
}

/** The error of the function span of a call the app rejected. */
const NOT_APPROVED = 'Tool execution was not approved.';

/** Whether a function span is a call the app rejected (the SDK's span fails with its fixed message). */
export function approvalRejected(sdk: SdkSpan): boolean {
  return sdk.error?.message === NOT_APPROVED;
}

/** The SDK's span errors (fixed messages) as low-cardinality error types. */
const ERROR_TYPES: Record<string, string> = {
  'Max turns exceeded': 'MaxTurnsExceededError',
  'Guardrail tripwire triggered': 'GuardrailTripwireTriggered',
  'Error running tool': 'ToolCallError',
  'Error running tool (non-fatal)': 'ToolCallError',
  [NOT_APPROVED]: 'ToolApprovalRejected',
  'Error in agent run': 'AgentRunError',
  'Multiple handoffs requested': 'MultipleHandoffs',
};

/**
 * The SDK's message is fixed text (a model adapter's may be the thrown error's message); a failed run's or
 * model call's detail is often `String(error)`, whose leading name is the class the app got
 * (`InputGuardrailTripwireTriggered`, `MaxTurnsExceededError`, a provider's `APICallError`). The rest of the
 * detail (what a tool threw) is the app's content, kept only with capture on.
 */
export function markSdkError(span: Span, error: { message?: unknown; data?: unknown }, content: ContentPolicy): string {
  const message = str(error.message) ?? 'error';
  const detail = str(obj(error.data)?.error);
  const known = ERROR_TYPES[message];
  const thrown = message === 'Error in agent run' || !known ? /^([A-Za-z_$][\w$]*)(?::|$)/.exec(detail ?? '')?.[1] : undefined;
  const type = thrown && thrown !== 'Error' ? thrown : (known ?? '_OTHER');
  markError(span, type, detail && content.enabled ? `${message}: ${detail}` : message);
  return type;
}

/**
 * An approval item's tool call (`RunToolApprovalItem`: a function call's or a hosted MCP call's): what the
 * events of its request and of the app's decision say about it. Undefined without a raw item.
 */
export function approvalAttributes(approval: Obj | undefined, extra: Attributes = {}): Attributes | undefined {
  const raw = obj(approval?.rawItem);
  if (!raw) return undefined;
  const attributes: Attributes = { ...extra };
  const tool = str(approval?.toolName) ?? str(raw.name);
  if (tool) attributes[A.toolName] = tool;
  if (str(raw.callId)) attributes[A.toolCallId] = str(raw.callId)!;
  const mcp = obj(raw.providerData);
  if (str(mcp?.serverLabel)) attributes[A.mcpServer] = str(mcp?.serverLabel)!;
  if (str(mcp?.itemId)) attributes[A.itemId] = str(mcp?.itemId)!;
  return attributes;
}

function putList(span: Span, key: string, value: unknown): void {
  const names = arr(value).filter((v): v is string => typeof v === 'string');
  if (names.length) span.setAttribute(key, names);
}

function put(span: Span, content: ContentPolicy, key: string, value: unknown): void {
  const v = content.capture(key, value);
  if (v !== undefined) span.setAttribute(key, v);
}
