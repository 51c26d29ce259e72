import { SpanStatusCode } from '@opentelemetry/api';
import { obj, str, type Obj } from '../util/json';
import { A } from './attributes';

/**
 * The one rule for marking a span failed, whatever failed: a thrown error (a call, a stream) or an error
 * object the API reported (a run's `last_error`, a response's `error`, an `error` stream event, a failed
 * step or output item). `error.type` is low-cardinality, the status message never carries a key.
 */

/** What marking needs of a span (a real Span, or a span's attributes being built). */
export interface Markable {
  setAttribute(key: string, value: string): unknown;
  setStatus(status: { code: SpanStatusCode; message?: string }): unknown;
}

/** Generic error classes say nothing about the failure: a code (the socket's, under fetch's TypeError) says more. */
const GENERIC = new Set(['Error', 'TypeError', 'Object', '']);

/**
 * `error.type` of a thrown error: its class when specific (the SDK's `RateLimitError`,
 * `APIConnectionError`, `SyntaxError`), else the code it or its cause carries (`UND_ERR_SOCKET`,
 * `ECONNRESET`), else its name.
 */
export function thrownErrorType(error: unknown): string {
  const e = error as { constructor?: { name?: unknown }; name?: unknown; code?: unknown; cause?: { code?: unknown } } | null;
  const cls = typeof e?.constructor?.name === 'string' ? e.constructor.name : '';
  if (!GENERIC.has(cls)) return cls;
  for (const code of [e?.cause?.code, e?.code]) if (typeof code === 'string' && code) return code;
  return typeof e?.name === 'string' && e.name ? e.name : 'Error';
}

/** `error.type` of an error object the API reported: its code, else its type, else what failed. */
export function apiErrorType(error: unknown, fallback: string): string {
  const err = obj(error);
  return str(err?.code) ?? str(err?.type) ?? fallback;
}

/** Marks a span failed with a type and a message (scrubbed of keys). */
export function markError(span: Markable, type: string, message: string | undefined): void {
  span.setAttribute(A.errorType, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: message === undefined ? type : scrubKeys(message) });
}

/** Marks a span failed by a thrown error (a failed call, a stream that broke). */
export function markThrown(span: Markable, error: unknown, fallbackMessage?: string): void {
  const message = (error as { message?: unknown } | null)?.message;
  markError(span, thrownErrorType(error), typeof message === 'string' && message ? message : fallbackMessage);
}

/**
 * Marks a span failed by an error object the API reported. `error` may be the object itself or a string
 * (some output items carry their error as text).
 */
export function markApiError(span: Markable, error: unknown, fallbackType: string, fallbackMessage: string): void {
  const err: Obj | undefined = obj(error);
  markError(span, apiErrorType(err, fallbackType), str(err?.message) ?? str(error) ?? fallbackMessage);
}

/** API error texts can echo a (partly masked) key back; never let one reach a span. */
const scrubKeys = (text: string): string => text.replace(/\b(sk|rk|sess)-[A-Za-z0-9*_-]{6,}/g, '$1-[redacted]');
