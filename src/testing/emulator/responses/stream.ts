import { STREAM_ERROR } from '../http/faults';
import type { ResponseMachine } from './response-machine';
import { pump, SseReply, type OutEvent } from '../http/sse-reply';

// `stream: true` on POST /responses, and GET /responses/{id}?stream=true (a background response's
// stream, replayed from `starting_after`): the machine's logged events as SSE, `event: <type>` and the
// event as data (with its `sequence_number`), in log order. No `[DONE]`: the stream ends after the
// terminal event (response.completed / .failed / .incomplete), as recorded. While the `cancel` script
// waits the stream stays open; a cancel ends it (there is no response.cancelled event).

/**
 * The data of the `error` event an `error-event` fault writes: the SDK's ResponseErrorEvent fields
 * (type, code, message, param, sequence_number) and the nested `error` object the API sends, which
 * every SDK major turns into a thrown APIError.
 */
export function responseErrorEvent(sequenceNumber: number): OutEvent {
  const { error } = STREAM_ERROR;
  return {
    name: 'error',
    data: { type: 'error', sequence_number: sequenceNumber, code: error.code, message: error.message, param: error.param, error: { ...error } },
  };
}

/** Streams `m`'s events after sequence number `startingAfter` (-1: all), running the stages as it goes. */
export function responseStream(m: ResponseMachine, startingAfter: number): SseReply {
  return new SseReply([`${m.response.id}:${startingAfter}`], async (out, fault, onFault) => {
    const first = Math.max(0, startingAfter + 1);
    let cursor = first;
    const owner = {};
    m.streamOwner = owner;
    const next = async (): Promise<OutEvent | null> => {
      for (;;) {
        const event = m.events[cursor];
        if (event) {
          cursor++;
          return { name: event.type, data: event };
        }
        // The next stage runs after the pause, so the response's state keeps pace with the events.
        await out.settle();
        if (out.closed) return null;
        if (m.step()) continue;
        if (!m.awaitingCancel) return null;
        await out.flushThenWait(
          () => m.awaitingCancel,
          (wake) => m.onChange(wake),
        );
        if (out.closed) return null;
      }
    };
    try {
      await pump(out, next, { fault, onFault, errorEvent: (sent) => responseErrorEvent(first + sent) });
    } finally {
      // Whatever happened to the connection, the response is finished as the server would finish it.
      if (m.streamOwner === owner) {
        m.streamOwner = null;
        m.drain();
      }
    }
  });
}
