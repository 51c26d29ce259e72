import { createContextKey, type Context } from '@opentelemetry/api';

// The SDK's suppression flag (what @opentelemetry/core's suppressTracing sets). createContextKey is
// Symbol.for, so the same key is shared with every SDK line without depending on @opentelemetry/core.
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

export const suppressTracing = (ctx: Context): Context => ctx.setValue(SUPPRESS_TRACING_KEY, true);
export const isTracingSuppressed = (ctx: Context): boolean => ctx.getValue(SUPPRESS_TRACING_KEY) === true;
