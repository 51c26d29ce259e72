import { STREAM_ERROR, type StreamFault } from '../http/faults';
import type { RunMachine } from './run-machine';
import type { Transition } from './run-objects';
import { injectFault, SseReply, type OutEvent } from '../http/sse-reply';
import type { SseWriter } from '../http/sse-writer';
import { FILE_SEARCH_CONTENT, stepView } from './step-view';
import type { WireStep } from '../engine/types';

// `stream: true` on the run routes: the run's logged transitions become SSE events, in the order the
// engine logged them (which is the recorded order of the real stream).

/** What a run route returns for `stream: true`: stream `machine`'s transitions from index `from` on. */
export function runStream(machine: RunMachine, from: number): SseReply {
  return new SseReply([machine.run.id, from], (out, fault, onFault) => streamRun(out, machine, from, fault, onFault));
}

const DONE_EVENT: OutEvent = { name: 'done', data: '[DONE]', raw: true };
const ERROR_EVENT: OutEvent = { name: 'error', data: STREAM_ERROR };

/**
 * A transition as the stream sends it: step snapshots lose file_search result content unless the run
 * was created with `include[]`; an incomplete run ends with an event *named* `thread.run.completed`
 * whose data has `status: "incomplete"` (recorded from the real API; the SDK takes either as final).
 */
function outEvent(t: Transition, includeContent: boolean): { name: string; data: unknown } {
  if (t.event === 'thread.run.incomplete') return { name: 'thread.run.completed', data: t.data };
  if (t.event.startsWith('thread.run.step.') && t.event !== 'thread.run.step.delta') {
    return { name: t.event, data: stepView(t.data as WireStep, includeContent) };
  }
  return { name: t.event, data: t.data };
}

/**
 * Writes the run's events, running the script's stages as it goes; waits (the `cancel` script) until a
 * cancel request moves the run on; ends with `done` once the run requires action or has ended. A
 * stream fault replaces the event after the first `fault.events` ones (`onFault` is told). Whatever
 * happens to the connection, the run is then finished as the real server would finish it, so the
 * state afterwards is the state a polled run reaches.
 */
async function streamRun(out: SseWriter, m: RunMachine, from: number, fault: StreamFault | null, onFault: (f: StreamFault) => void): Promise<void> {
  const includeContent = m.include.includes(FILE_SEARCH_CONTENT);
  let cursor = from;
  let sent = 0;
  const owner = {};
  m.streamOwner = owner;
  try {
    for (;;) {
      if (out.closed) return;
      const t = m.transitions[cursor];
      if (t) {
        const event = outEvent(t, includeContent);
        if (fault && sent === fault.events) {
          onFault(fault);
          await injectFault(out, fault, event, ERROR_EVENT);
          return;
        }
        cursor++;
        await out.event(event.name, event.data);
        sent++;
        // The real stream ends at requires_action: a submit made before this stream wrote `done`
        // continues the run in the submit's own stream, never in this one.
        if (event.name === 'thread.run.requires_action') break;
      } else {
        // The next stage runs after the pause, so the run's state keeps pace with the events.
        await out.settle();
        if (out.closed || m.step()) continue;
        if (!m.awaitingCancel) break;
        await out.flushThenWait(
          () => m.awaitingCancel,
          (wake) => m.onChange(wake),
        );
      }
    }
    if (fault && sent === fault.events) {
      onFault(fault);
      await injectFault(out, fault, DONE_EVENT, ERROR_EVENT);
      return;
    }
    await out.done();
  } finally {
    // A later stream (the submit's) may own the run by now: then it drives, not this one.
    if (m.streamOwner === owner) {
      m.streamOwner = null;
      m.drain();
    }
  }
}
