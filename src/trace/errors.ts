import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { A } from './attributes';

/** Marks a span as failed by a thrown SDK error (APIError subclasses, connection errors). */
export function setCallError(span: Span, error: unknown): void {
  const name = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  const type = typeof name === 'string' && name !== 'Object' ? name : 'Error';
  const message = (error as { message?: unknown } | null)?.message;
  span.setAttribute(A.errorType, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof message === 'string' ? scrubKeys(message) : type });
}

/** API error texts can echo a (partly masked) key back; never let one reach a span. */
export const scrubKeys = (text: string): string => text.replace(/\b(sk|rk|sess)-[A-Za-z0-9*_\-]{6,}/g, '$1-[redacted]');
