import { num, obj, str, type Obj } from '../util/json';
import type { Services } from '../services';
import { MAX_DELTA_EVENTS, MAX_DELTA_SPANS, MessageDeltaLog } from './message-deltas';
import type { RunSteps } from './step-spans';
import type { ChunkTimer } from '../cost/metrics';

/** Step statuses at which a step is still running. */
const STEP_OPEN = new Set(['in_progress', '']);
/** Raw step-delta JSON held per run before it is merged anyway (bounds memory on a long step). */
const MAX_PENDING_DELTA_CHARS = 256 * 1024;

/** What a run's event streams showed: live timing the whole-second API timestamps cannot give. */
export interface StreamedRun {
  steps: Map<string, Obj>;
  stepTimes: Map<string, { start?: number; end?: number }>;
  /** The `thread.message.delta` events, per message id (see MessageDeltaLog). */
  deltas: MessageDeltaLog;
  /**
   * Step deltas not merged yet, as their raw JSON, per step id: merged only when the streamed steps are
   * read (a stream cut before a step completed). A `thread.run.step.*` event replaces the step object,
   * and the deltas pending for the replaced one with it, so a completed step costs no parse of its deltas.
   */
  pendingDeltas?: Map<string, string[]>;
  pendingChars?: number;
  /** Terminal status seen in a stream (so no steps request is needed). */
  terminalInStream: boolean;
  /** Per message id: the start of the request whose stream brought its first delta (time to first chunk). */
  requestStarts: Map<string, number>;
  /** The run's streaming metrics (null: no meter; undefined: no output chunk yet). */
  timer?: ChunkTimer | null;
}

export function newStreamedRun(env: Services): StreamedRun {
  const deltas = new MessageDeltaLog(env.messageDeltaSpans ? MAX_DELTA_SPANS : MAX_DELTA_EVENTS, env.content);
  return { steps: new Map(), stepTimes: new Map(), deltas, terminalInStream: false, requestStarts: new Map() };
}

/**
 * A `thread.run.step.*` event (not a delta): the step object and when each phase was seen. A step's
 * start is the client time of its `created` event; one first seen later (a submit stream opens with
 * the tool step completing) keeps the API's created_at.
 */
export function recordStreamStep(s: StreamedRun, id: string, step: Obj, at: number, event: string): void {
  const times = s.stepTimes.get(id) ?? { start: event === 'thread.run.step.created' ? at : undefined };
  s.stepTimes.set(id, times);
  if (!STEP_OPEN.has(str(step.status) ?? '')) times.end ??= at;
  s.steps.set(id, step);
  // The deltas merged so far are replaced along with the object they were merged into.
  const dropped = s.pendingDeltas?.get(id);
  if (dropped) {
    s.pendingDeltas!.delete(id);
    for (const raw of dropped) s.pendingChars! -= raw.length;
  }
}

/** A step delta's JSON, held until the streamed steps are read (or too much is held). */
export function holdStepDelta(s: StreamedRun, stepId: string, raw: string, keepText: boolean): void {
  const pending = (s.pendingDeltas ??= new Map());
  let list = pending.get(stepId);
  if (!list) pending.set(stepId, (list = []));
  list.push(raw);
  s.pendingChars = (s.pendingChars ?? 0) + raw.length;
  if (s.pendingChars > MAX_PENDING_DELTA_CHARS) mergePending(s, keepText);
}

/** The steps a stream showed (held deltas merged). */
export function streamedSteps(s: StreamedRun | undefined, keepText: boolean): RunSteps | undefined {
  if (!s) return undefined;
  mergePending(s, keepText);
  return { steps: [...s.steps.values()] };
}

/** Merges the held step deltas, in arrival order per step, into the streamed steps. */
function mergePending(s: StreamedRun, keepText: boolean): void {
  if (!s.pendingDeltas?.size) return;
  const pending = s.pendingDeltas;
  s.pendingDeltas = undefined;
  s.pendingChars = 0;
  for (const [id, raws] of pending) {
    const step = s.steps.get(id);
    if (!step) continue;
    for (const raw of raws) {
      let delta: Obj | undefined;
      try {
        delta = obj(JSON.parse(raw));
      } catch {
        continue;
      }
      if (delta) mergeDelta(step, { step_details: obj(delta.delta)?.step_details }, keepText);
    }
  }
}

/**
 * Merges a step delta into the streamed step: strings append (arguments, code input, logs), arrays
 * merge by each element's `index`, objects recurse. Content strings stop growing when capture is off.
 */
function mergeDelta(target: Obj, delta: Obj, keepText: boolean): void {
  for (const [key, value] of Object.entries(delta)) {
    if (value === undefined || value === null) continue;
    const current = target[key];
    if (typeof value === 'string') {
      target[key] = typeof current === 'string' && key !== 'type' && key !== 'id' && key !== 'name' ? (keepText ? current + value : current) : value;
    } else if (Array.isArray(value)) {
      const list = Array.isArray(current) ? current : (target[key] = []);
      for (const item of value) {
        const o = obj(item);
        const index = num(o?.index);
        const slot = index === undefined ? undefined : (list.find((x) => num(obj(x)?.index) === index) ?? list[index]);
        if (o && obj(slot)) mergeDelta(slot as Obj, o, keepText);
        else list.push(o ? { ...o } : item);
      }
    } else if (typeof value === 'object') {
      if (!obj(current)) target[key] = {};
      mergeDelta(target[key] as Obj, value as Obj, keepText);
    } else {
      target[key] = value;
    }
  }
}
