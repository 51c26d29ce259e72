import type { Attributes, Context } from '@opentelemetry/api';
import type { Obj } from '../util/json';

/** What the hook learns about one SDK call (first attempt through to the final outcome). */
export interface ObservedCall {
  client: ClientLike;
  ambient: Context;
  startTime: number;
  endTime: number;
  options?: RequestOptionsLike;
  status?: number;
  requestId?: string;
  /** Parsed JSON body, when the app (through the SDK) read it. */
  body?: unknown;
  bodyRead: boolean;
  /** What makeRequest rejected with (after the SDK's retries). */
  error?: unknown;
  stream: boolean;
  /**
   * Made by an agent framework (the Agents SDK) that traces the tools itself: no tool spans from this call's
   * function calls or from their outputs in a later request.
   */
  agentManaged?: boolean;
  /**
   * Whoever made the call waits for its function calls' outputs itself (a Live session: the app answers a
   * delegated response over the socket): each completed call item is handed to it, with the attributes its
   * spans share, instead of to the HTTP table. The items still get their spans even when `agentManaged`.
   */
  toolCalls?: (item: Obj, completedAt: number, base: Attributes) => void;
  /** Attributes its span starts with, from whoever made the call (a Live session's delegation id). */
  attributes?: Attributes;
  /** The agent run this model call belongs to: its usage and cost are added to the run's totals. */
  runTotals?: CallTotalsSink;
}

/** Receives a model call's usage (an API usage object) and cost once the call is accounted. */
export interface CallTotalsSink {
  add(usage: unknown, cost: { input: number; output: number; tools: number; total: number } | undefined): void;
}

export interface RequestOptionsLike {
  method?: string;
  path?: string;
  query?: unknown;
  body?: unknown;
  stream?: boolean;
}

/** The subset of the SDK client the instrumentation uses for its own (suppressed) requests. */
export interface ClientLike {
  baseURL?: string;
  get?: (path: string, opts?: Record<string, unknown>) => PromiseLike<unknown>;
}
