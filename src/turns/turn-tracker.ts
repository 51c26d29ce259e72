import type { Span } from '@opentelemetry/api';
import { A } from '../trace/attributes';
import { BoundedMap, evictionWarning } from '../util/bounded-map';
import { obj, type Obj } from '../util/json';
import { now } from '../util/clock';
import { Sweeper } from '../util/sweeper';
import type { Services } from '../services';
import { apiErrorType, markApiError, markThrown, thrownErrorType } from '../trace/errors';

/*
 * The lifecycle every kind of turn shares (an Assistants run, a Responses response; later the Agents SDK's
 * and WebSocket turns). A turn's span opens when it is first seen and ends exactly once: at the terminal
 * status it is seen in (the kind's own finish), or unfinished (TTL, eviction, shutdown, a broken stream).
 *
 * A kind keeps a `TurnTracker<S>` for its states (S extends TurnState) and gives it a `TurnKind<S>`:
 * - `close(st, reason)`: end a turn the tracker dropped (it is already out of the open map);
 * - `outlivesStream(st, outcome)`, optional: the turn stays open when its stream ends early.
 * The kind calls `open` when a turn is first seen, `finish` at its terminal status, `closed` from its
 * `close`; streams go through `claim` / `streamError` / `streamEnd`. Accounting: turn-accounting.ts.
 */

/** What the lifecycle reads and writes of a turn's state. */
export interface TurnState {
  readonly span: Span;
  startTime: number;
  lastSeen: number;
  status: string;
  /**
   * The stream that drives the turn now: a submit or resumed stream takes over at its request, so the end
   * of the stream before it (which may be processed after the new one moved the turn on) is ignored.
   */
  owner?: object;
  /** Why the turn failed in its stream (an error event, a broken connection): its metrics' error.type. */
  errorType?: string;
}

/** What differs per kind of turn; see the top of this file. */
interface TurnKind<S extends TurnState> {
  /** What is tracked, for the eviction warning ("open runs"). */
  readonly noun: string;
  close(st: S, reason: string): void;
  outlivesStream?(st: S, outcome: string): boolean;
}

/** The open and recently finished turns of one kind, by id. */
export class TurnTracker<S extends TurnState> {
  private readonly active: BoundedMap<string, S>;
  private readonly finished: BoundedMap<string, true>;
  private readonly sweeper: Sweeper;

  constructor(
    private readonly env: Services,
    private readonly kind: TurnKind<S>,
  ) {
    const evicted = evictionWarning((m) => env.diag.warn(m), kind.noun, env.maxEntities);
    this.active = new BoundedMap(env.maxEntities, (_id, st) => {
      evicted();
      kind.close(st, 'evicted');
    });
    this.finished = new BoundedMap(env.maxEntities);
    this.sweeper = new Sweeper(env.runTtlMs, () => this.sweep());
  }

  /** An open turn, touched (kept from eviction longest). */
  get(id: string): S | undefined {
    return this.active.get(id);
  }

  /** An open turn, untouched. */
  peek(id: string): S | undefined {
    return this.active.peek(id);
  }

  /** Its span already ended: a late sighting (a poll, a retrieve) starts nothing. */
  isFinished(id: string): boolean {
    return this.finished.has(id);
  }

  /** A turn first seen: open until it finishes or is closed. */
  open(id: string, st: S): void {
    this.active.set(id, st);
    this.sweeper.start();
  }

  /** The turn reached its terminal status: no longer open. */
  finish(id: string): void {
    this.active.delete(id);
    this.finished.set(id, true);
  }

  /** The kind closed a turn (see TurnKind.close). */
  closed(id: string): void {
    this.finished.set(id, true);
  }

  /** A stream (or a request about to stream) takes over the turn; see TurnState.owner. */
  claim(id: string, stream: object): S | undefined {
    const st = this.active.peek(id);
    if (st) st.owner = stream;
    return st;
  }

  /** An `error` event in the turn's stream: its span records it (the stream's end decides the rest). */
  streamError(id: string | undefined, data: Obj | undefined, at: number): void {
    const st = id === undefined ? undefined : this.active.peek(id);
    if (!st) return;
    const err = obj(data?.error) ?? data;
    const type = apiErrorType(err, 'stream_error');
    st.errorType ??= type;
    st.span.addEvent('error', { [A.errorType]: type }, at);
    markApiError(st.span, err, 'stream_error', 'error event in stream');
  }

  /**
   * A stream of the turn ended before its terminal event (a finished turn is no longer open here). Unless
   * another stream owns the turn or the kind keeps it open, its span ends, marked with how the stream ended.
   */
  streamEnd(id: string, outcome: string, at: number, error: unknown, stream: object): void {
    const st = this.active.peek(id);
    if (!st || (st.owner && st.owner !== stream) || this.kind.outlivesStream?.(st, outcome)) return;
    this.active.delete(id);
    if (outcome === 'error' && error !== undefined) {
      st.errorType ??= thrownErrorType(error);
      markThrown(st.span, error, 'stream failed');
    }
    st.lastSeen = at;
    // A clean end before the terminal event (the SDK's Stream just finishes) is a truncated stream.
    this.kind.close(st, `stream_${outcome === 'done' ? 'truncated' : outcome}`);
  }

  /** Ends turns not seen for runTtlMs. */
  sweep(at = now()): void {
    for (const [id, st] of [...this.active.entries()]) {
      if (at - st.lastSeen > this.env.runTtlMs) {
        this.active.delete(id);
        this.kind.close(st, 'ttl');
      }
    }
  }

  /** Shutdown: every open turn ends now. */
  endAll(reason: string): void {
    this.sweeper.stop();
    for (const [id, st] of [...this.active.entries()]) {
      this.active.delete(id);
      this.kind.close(st, reason);
    }
  }
}
