import type { Context } from '@opentelemetry/api';

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
