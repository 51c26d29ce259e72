import { copyJSON, num, obj, str, type Obj } from '../util/json';
import type { ObservedCall } from '../calls/observed-call';
import type { ResponseTracker } from './response-tracker';
import type { SSEEvent } from '../streams/sse';
import { appOutcome, type StreamOutcome, type StreamSink } from '../streams/stream-tap';

/** Events read below (besides deltas): the ones carrying the response object, items, errors. */
const USED_EVENTS = new Set([
  'response.created',
  'response.queued',
  'response.in_progress',
  'response.completed',
  'response.failed',
  'response.incomplete',
  'response.output_item.added',
  'response.output_item.done',
  'error',
]);
/** A delta's output index as the API writes it; a string value cannot hold an unescaped quote. */
const OUTPUT_INDEX = /"output_index"\s*:\s*(\d+)/;

/**
 * Routes the events of one Responses stream (`responses.create({stream: true})`, `responses.stream()`,
 * or a background response resumed with `retrieve(id, {stream: true})`) into the response state machine.
 * Responses streams have no `[DONE]` sentinel: the terminal `response.*` event ends the span.
 */
export class ResponseStreamSink implements StreamSink {
  private responseId?: string;
  private sawErrorEvent = false;
  /** An event whose data did not parse: the SDK throws that SyntaxError into the app's iteration. */
  private malformed?: unknown;

  constructor(
    private readonly call: ObservedCall,
    responseId: string | undefined,
    private readonly responses: ResponseTracker,
    private readonly noResponse: (outcome: StreamOutcome, at: number, error?: unknown) => void,
  ) {
    this.responseId = responseId;
    if (responseId) responses.claimStream(responseId, this);
  }

  event(e: SSEEvent, at: number): void {
    if (!e.data || e.data === '[DONE]') return;
    const name = e.event;
    // Deltas are most of a stream and only counted: no JSON.parse for them, nor for events not read.
    if (this.responseId && name.endsWith('.delta')) {
      const index = OUTPUT_INDEX.exec(e.data)?.[1];
      return this.delta(name, index === undefined ? undefined : Number(index), at);
    }
    if (name !== 'message' && !USED_EVENTS.has(name)) return;
    let data: Obj | undefined;
    try {
      data = obj(JSON.parse(e.data));
    } catch (err) {
      this.malformed ??= err; // the stream failed for the app (see end)
      return;
    }
    if (data) this.handle(str(data.type) ?? name, data, at);
  }

  item(name: string, data: Obj, at: number): void {
    if (name.endsWith('.delta')) return this.responseId ? this.delta(name, num(data.output_index), at) : undefined;
    if (!USED_EVENTS.has(name)) return;
    // Copies: ResponseStream accumulates the output into the app's objects as further events come.
    const copy = copyJSON(data);
    if (copy) this.handle(name, copy, at);
  }

  private delta(type: string, outputIndex: number | undefined, at: number): void {
    this.responses.onStreamDelta(this.responseId!, outputIndex, at, type === 'response.output_text.delta');
  }

  private handle(type: string, data: Obj, at: number): void {
    const response = obj(data.response);
    if (response && type.startsWith('response.')) {
      const first = this.responseId === undefined;
      this.responseId = str(response.id) ?? this.responseId;
      this.responses.onResponse(response, this.call, 'stream', at, type);
      if (first && this.responseId) this.responses.claimStream(this.responseId, this);
      return;
    }
    if (!this.responseId) return;
    if (type === 'response.output_item.added' || type === 'response.output_item.done') {
      const item = obj(data.item);
      const index = num(data.output_index);
      if (item && index !== undefined) this.responses.onStreamItem(this.responseId, index, item, at, type === 'response.output_item.done');
      return;
    }
    if (type.endsWith('.delta')) return this.delta(type, num(data.output_index), at);
    if (type === 'error') {
      this.sawErrorEvent = true;
      this.responses.onStreamError(this.responseId, data, at);
    }
  }

  end(outcome: StreamOutcome, at: number, error?: unknown): void {
    // No sentinel in Responses streams: 'truncated' only means "no [DONE]"; a finished response is gone
    // from the tracker by now, so only a stream that ended before its terminal event is marked.
    [outcome, error] = appOutcome(outcome, error, this.sawErrorEvent, this.malformed);
    if (this.responseId) this.responses.onStreamEnd(this.responseId, outcome, at, error, this);
    else this.noResponse(outcome, at, error);
  }
}
