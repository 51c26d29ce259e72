// Gets one trace's spans from Jaeger, Tempo or an OTLP JSON lines file, with errors that name the source.
import { readFileSync } from 'node:fs';
import type { Source } from './args';
import { CliError, EXIT } from './errors';
import { spansFromJaeger } from './jaeger-json';
import { resourceSpansOf, ShapeError, spansFromResourceSpans } from './otlp-json';
import type { TraceSpan } from './trace-span';

export interface LoadOptions {
  /** Per HTTP request. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The spans of trace `traceId`; an empty list when the source has none (the caller reports "not found"). */
export async function loadTrace(source: Source, traceId: string, options: LoadOptions = {}): Promise<TraceSpan[]> {
  const spans = source.kind === 'otlp-file' ? readOtlpFile(source.path) : await fetchTrace(source.kind, source.url, traceId, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  return spans.filter((span) => span.traceId === traceId);
}

export function describeSource(source: Source): string {
  return source.kind === 'otlp-file' ? source.path : `${source.kind === 'jaeger' ? 'Jaeger' : 'Tempo'} at ${source.url}`;
}

async function fetchTrace(kind: 'jaeger' | 'tempo', base: string, traceId: string, timeoutMs: number): Promise<TraceSpan[]> {
  const backend = kind === 'jaeger' ? 'Jaeger' : 'Tempo';
  // Both serve the trace at the same path: Jaeger's query API as its own JSON, Tempo's as OTLP protobuf JSON.
  const url = `${base}/api/traces/${traceId}`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new CliError(EXIT.UNAVAILABLE, `cannot reach ${backend} at ${base} (GET ${url}): ${networkReason(err, timeoutMs)}`);
  }
  const text = await response.text().catch((err: Error) => {
    throw new CliError(EXIT.UNAVAILABLE, `${backend} at ${base} broke off its answer to GET ${url}: ${err.message}`);
  });
  if (response.status === 404) return [];
  if (!response.ok) {
    throw new CliError(EXIT.UNAVAILABLE, `${backend} at ${base} answered HTTP ${response.status} to GET ${url}: ${snippet(text)}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new CliError(EXIT.MALFORMED, `${backend} at ${base} did not answer JSON to GET ${url}: ${snippet(text)}`);
  }
  try {
    if (kind === 'jaeger') return spansFromJaeger(doc);
    const resourceSpans = resourceSpansOf(doc);
    if (!resourceSpans) throw new ShapeError('no "batches" or "resourceSpans" in the answer');
    return spansFromResourceSpans(resourceSpans);
  } catch (err) {
    if (err instanceof ShapeError) throw new CliError(EXIT.MALFORMED, `${backend} at ${base}, GET ${url}: unexpected answer: ${err.message}`);
    throw err;
  }
}

/** The collector's file exporter writes one `{"resourceSpans": …}` object per line; other signals' lines are skipped. */
function readOtlpFile(path: string): TraceSpan[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(EXIT.UNAVAILABLE, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const documents = jsonDocuments(path, text);
  const spans: TraceSpan[] = [];
  let traceLines = 0;
  for (const { line, doc } of documents) {
    try {
      const resourceSpans = resourceSpansOf(doc);
      if (!resourceSpans) continue;
      traceLines++;
      spans.push(...spansFromResourceSpans(resourceSpans));
    } catch (err) {
      if (err instanceof ShapeError) throw new CliError(EXIT.MALFORMED, `${path}:${line}: not OTLP JSON traces: ${err.message}`);
      throw err;
    }
  }
  if (traceLines === 0) throw new CliError(EXIT.MALFORMED, `${path}: no OTLP trace data in it (no line with "resourceSpans")`);
  return spans;
}

// JSON lines; a single pretty-printed document (an OTLP request body saved by hand) is accepted too.
function jsonDocuments(path: string, text: string): Array<{ line: number; doc: unknown }> {
  const out: Array<{ line: number; doc: unknown }> = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    try {
      out.push({ line: i + 1, doc: JSON.parse(lines[i]) });
    } catch (err) {
      if (out.length === 0) {
        try {
          return [{ line: 1, doc: JSON.parse(text) }];
        } catch {
          // not one document either: report the line
        }
      }
      throw new CliError(EXIT.MALFORMED, `${path}:${i + 1}: not valid JSON (${(err as Error).message})`);
    }
  }
  return out;
}

function networkReason(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs / 1000}s`;
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat === '' ? '(empty body)' : flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
