import { obj, type Obj } from '../util/json';
import type { SSEEvent } from '../streams/sse';
import { appOutcome, type StreamOutcome, type StreamSink } from '../streams/stream-tap';

/*
 * What every turn stream sink shares (runs, responses; later other kinds of turns). A subclass reads its
 * events in `event` (the raw body's, data unparsed) and `item` (the SDK's objects), and:
 * - parses the data it reads with `parse`, and marks the events it passes on unparsed with `skipped`;
 * - hands each turn object to its tracker through `turnObject` (the first turn seen is claimed);
 * - reports `error` events with `errorEvent`;
 * - says what a stream that never showed a turn becomes, in `noTurn`.
 * The end is the base's: how the stream ended for the app (see appOutcome), to the turn's tracker.
 */

/** What a sink needs of its turn tracker (see turns/turn-tracker.ts). */
interface TurnStreams {
  claimStream(turnId: string, stream: object): void;
  onStreamError(turnId: string, data: Obj | undefined, at: number): void;
  onStreamEnd(turnId: string, outcome: string, at: number, error: unknown, stream: object): void;
}

export abstract class TurnStreamSink implements StreamSink {
  /** The turn this stream drives, once known (a submit or resume names it in its request). */
  protected turnId?: string;
  private sawErrorEvent = false;
  /** An event whose data did not parse: the SDK throws that SyntaxError into the app's iteration. */
  private malformed?: unknown;
  /** The data of the last event passed on unparsed (a delta, an unread event); checked if the stream fails. */
  private unparsed?: string;

  constructor(
    private readonly turns: TurnStreams,
    turnId: string | undefined,
  ) {
    this.turnId = turnId;
    // A stream that continues a known turn owns it from its request on.
    if (turnId) turns.claimStream(turnId, this);
  }

  abstract event(e: SSEEvent, at: number): void;
  abstract item(name: string, data: Obj, at: number): void;

  /** The stream ended before any turn was seen (e.g. failed at once). */
  protected abstract noTurn(outcome: StreamOutcome, at: number, error?: unknown): void;

  /** Hands a turn object to the tracker (which starts the turn when new). */
  protected abstract track(name: string, turn: Obj, at: number): void;

  /** An event's data, parsed; a malformed one is remembered (the stream failed for the app, see end). */
  protected parse(data: string): Obj | undefined {
    this.unparsed = undefined;
    try {
      return obj(JSON.parse(data));
    } catch (err) {
      this.malformed ??= err;
      return undefined;
    }
  }

  /** An event passed on without parsing its data: the last one is checked if the stream fails. */
  protected skipped(data: string): void {
    this.unparsed = data;
  }

  /** A turn object in an event: the first one seen is the turn this stream claims. */
  protected turnObject(id: string | undefined, name: string, turn: Obj, at: number): void {
    const first = this.turnId === undefined;
    this.turnId = id ?? this.turnId;
    this.track(name, turn, at);
    if (first && this.turnId) this.turns.claimStream(this.turnId, this);
  }

  /** An `error` event: the turn's span records it, and the stream failed for the app. */
  protected errorEvent(data: Obj, at: number): void {
    this.sawErrorEvent = true;
    if (this.turnId) this.turns.onStreamError(this.turnId, data, at);
  }

  end(outcome: StreamOutcome, at: number, error?: unknown): void {
    // Data that does not parse makes the SDK throw and the stream end there: a stream that did not end
    // cleanly after an unparsed event is checked for that one.
    if (outcome !== 'done' && this.unparsed !== undefined && this.malformed === undefined) {
      try {
        JSON.parse(this.unparsed);
      } catch (err) {
        this.malformed = err;
      }
    }
    // The error event already set the span's error; see appOutcome.
    [outcome, error] = appOutcome(outcome, error, this.sawErrorEvent, this.malformed);
    if (this.turnId) this.turns.onStreamEnd(this.turnId, outcome, at, error, this);
    else this.noTurn(outcome, at, error);
  }
}
