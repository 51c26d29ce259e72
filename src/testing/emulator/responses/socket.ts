import { ApiError, badRequest } from '../engine/errors';
import * as v from '../engine/validate';
import type { StreamFault } from '../http/faults';
import type { MessageSocket } from '../http/sockets';
import type { ResponseContext } from './context';
import type { ResponseEngine } from './response-engine';
import { createResponse } from './routes-responses';
import type { ResponseMachine } from './response-machine';
import { responseErrorEvent } from './stream';

// Responses over WebSocket (`GET /v1/responses` upgraded): the client sends `response.create` events
// (the body of `POST /responses` plus `type`, and optionally `stream_id`, the lane it answers on); the
// server answers each with the same events the SSE stream gives, one JSON text frame each, from the
// same response machine. Responses on one lane run one after another; lanes run side by side, and every
// event of a lane carries its `stream_id`. A request the API rejects is an `error` event with the
// HTTP status it would have had (`status`) and the error object.

/** Serves one upgraded connection. */
export function serveResponsesSocket(ctx: ResponseContext, engine: ResponseEngine, socket: MessageSocket, faults: () => StreamFault | null): void {
  /** Each lane's tail: its next response starts when the previous one ended. */
  const lanes = new Map<string, Promise<void>>();
  socket.onEvent((event) => {
    const body = event as v.Body | undefined;
    const lane = typeof body?.['stream_id'] === 'string' ? body['stream_id'] : '';
    const previous = lanes.get(lane) ?? Promise.resolve();
    const next = previous.then(() => answer(ctx, engine, socket, body, faults()));
    lanes.set(lane, next);
    void next.finally(() => {
      if (lanes.get(lane) === next) lanes.delete(lane);
    });
  });
}

/** Answers one client event: a response's events, or an error event. Never rejects. */
async function answer(ctx: ResponseContext, engine: ResponseEngine, socket: MessageSocket, event: v.Body | undefined, fault: StreamFault | null): Promise<void> {
  const streamId = typeof event?.['stream_id'] === 'string' ? event['stream_id'] : undefined;
  const send = (data: object): Promise<void> => socket.send(JSON.stringify(streamId === undefined ? data : { ...data, stream_id: streamId }));
  let m;
  try {
    if (!event) throw badRequest('Invalid event: expected a JSON object with a string `type`.', 'type', 'invalid_event');
    if (event['type'] !== 'response.create') throw badRequest(`Unsupported event type '${String(event['type'])}'.`, 'type', 'invalid_event');
    const { type: _type, stream_id: _lane, ...body } = event;
    if (v.optionalBoolean(body, 'background') === true) throw badRequest('background is not supported over WebSocket.', 'background', 'unsupported_parameter');
    m = createResponse(ctx, engine, { ...body, stream: true });
  } catch (err) {
    const apiError = err instanceof ApiError ? err : new ApiError(500, 'The server had an error while processing your request.', 'server_error');
    await send({ type: 'error', status: apiError.status, ...apiError.body() });
    return;
  }
  await streamOverSocket(m, socket, send, fault);
}

/**
 * Sends a response machine's stream events, one `send` each, paced as an SSE stream is; a stream fault
 * applies after its N events. Also how the Live API's delegations stream (each event wrapped by `send`).
 */
export async function streamOverSocket(m: ResponseMachine, socket: MessageSocket, send: (event: object) => Promise<void>, fault: StreamFault | null): Promise<void> {
  const owner = {};
  m.streamOwner = owner;
  let cursor = 0;
  try {
    for (;;) {
      if (socket.closed) return;
      const e = m.events[cursor];
      if (!e) {
        if (m.step()) continue;
        return;
      }
      if (fault && cursor === fault.events) {
        if (fault.kind === 'error-event') await send(responseErrorEvent(cursor).data as object);
        else socket.cut(); // every other stream fault is a connection that breaks here
        return;
      }
      if (cursor > 0) await socket.pause();
      if (socket.closed) return;
      cursor++;
      await send(e);
    }
  } finally {
    // Whatever happened to the connection, the response is finished as the server would finish it.
    if (m.streamOwner === owner) {
      m.streamOwner = null;
      m.drain();
    }
  }
}
