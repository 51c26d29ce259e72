import { copyJSON, num, obj, str, type Obj } from '../util/json';
import type { ObservedCall } from '../calls/observed-call';
import type { ResponseTracker } from './response-tracker';
import type { SSEEvent } from '../streams/sse';
import type { StreamOutcome } from '../streams/stream-tap';
import { TurnStreamSink } from '../turns/turn-stream-sink';

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
 * Responses streams have no `[DONE]` sentinel: the terminal `response.*` event ends the span (so a
 * finished response is gone from the tracker when the stream ends, and only an early end is marked).
 */
export class ResponseStreamSink extends TurnStreamSink {
  constructor(
    private readonly call: ObservedCall,
    responseId: string | undefined,
    private readonly responses: ResponseTracker,
    private readonly noResponse: (outcome: StreamOutcome, at: number, error?: unknown) => void,
  ) {
    // A resumed background response is owned by its new stream from the request on.
    super(responses, responseId);
  }

  event(e: SSEEvent, at: number): void {
    if (!e.data || e.data === '[DONE]') return;
    const name = e.event;
    // Deltas are most of a stream and only counted: no JSON.parse for them, nor for events not read.
    if (this.turnId && name.endsWith('.delta')) {
      const index = OUTPUT_INDEX.exec(e.data)?.[1];
      this.skipped(e.data);
      return this.delta(name, index === undefined ? undefined : Number(index), at);
    }
    if (name !== 'message' && !USED_EVENTS.has(name)) return this.skipped(e.data);
    const data = this.parse(e.data);
    if (data) this.handle(str(data.type) ?? name, data, at);
  }

  item(name: string, data: Obj, at: number): void {
    if (name.endsWith('.delta')) return this.turnId ? this.delta(name, num(data.output_index), at) : undefined;
    if (!USED_EVENTS.has(name)) return;
    // Copies: ResponseStream accumulates the output into the app's objects as further events come.
    const copy = copyJSON(data);
    if (copy) this.handle(name, copy, at);
  }

  private delta(type: string, outputIndex: number | undefined, at: number): void {
    this.responses.onStreamDelta(this.turnId!, outputIndex, at, type === 'response.output_text.delta');
  }

  private handle(type: string, data: Obj, at: number): void {
    const response = obj(data.response);
    if (response && type.startsWith('response.')) return this.turnObject(str(response.id), type, response, at);
    if (!this.turnId) return;
    if (type === 'response.output_item.added' || type === 'response.output_item.done') {
      const item = obj(data.item);
      const index = num(data.output_index);
      if (item && index !== undefined) this.responses.onStreamItem(this.turnId, index, item, at, type === 'response.output_item.done');
      return;
    }
    if (type.endsWith('.delta')) return this.delta(type, num(data.output_index), at);
    if (type === 'error') this.errorEvent(data, at);
  }

  protected track(type: string, response: Obj, at: number): void {
    this.responses.onResponse(response, this.call, 'stream', at, type);
  }

  protected noTurn(outcome: StreamOutcome, at: number, error?: unknown): void {
    this.noResponse(outcome, at, error);
  }
}
