// The scripts of every API are lists of stages: one stage is one state a poller can see (a run or a
// background response advances one stage per `pollsPerStatus` retrieves; a stream runs them in turn).

export type Stage = () => void;

/** A deep copy: logged snapshots must not change when the live object does. */
export function clone<T>(x: T): T {
  return structuredClone(x);
}

/** The stages still to run, and how often a poller has seen the current one. */
export class StageQueue {
  private stages: Stage[] = [];
  private observations = 1;

  get empty(): boolean {
    return this.stages.length === 0;
  }

  /** Replaces what is left (a script, what follows tool outputs, a cancel); polling starts over. */
  load(stages: Stage[]): void {
    this.stages = stages;
    this.observations = 1;
  }

  clear(): void {
    this.stages = [];
  }

  advance(): void {
    this.stages.shift()?.();
  }

  /** One retrieve: shows the current stage `polls` times, then runs the next one (`polls` ≤ 0: `drain`). */
  poll(polls: number, drain: () => void): void {
    if (polls <= 0) {
      drain();
      return;
    }
    if (this.observations >= polls) {
      this.advance();
      this.observations = 1;
    } else {
      this.observations++;
    }
  }

  /** One retrieve of a waiting state: true once it was seen `polls` times (then it should end). */
  seenEnough(polls: number): boolean {
    if (polls <= 0 || this.observations >= polls) return true;
    this.observations++;
    return false;
  }
}
