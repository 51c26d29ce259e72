/**
 * The one table of Assistants statuses (a run's, and a run step's, which use a subset of the same
 * words): whether the run ends there, the GenAI finish reason it gives a chat span, and whether it is a
 * failure. A status not listed (queued, in_progress, requires_action, cancelling, or a new one) is open.
 */
interface RunStatus {
  terminal: boolean;
  finish: string;
  failed: boolean;
}

const STATUSES = new Map<string, RunStatus>([
  ['completed', { terminal: true, finish: 'stop', failed: false }],
  ['incomplete', { terminal: true, finish: 'length', failed: false }],
  ['cancelled', { terminal: true, finish: 'cancelled', failed: false }],
  ['failed', { terminal: true, finish: 'error', failed: true }],
  ['expired', { terminal: true, finish: 'expired', failed: true }],
]);

/** The run ends at this status (its span ends, its steps are read). */
export const isTerminalRun = (status: string): boolean => STATUSES.get(status)?.terminal === true;

/** The run (or step) failed at this status: its span is marked with the reported error. */
export const runFailed = (status: string): boolean => STATUSES.get(status)?.failed === true;

/** The finish reason of a run or step at this status (an unlisted status stands for itself). */
export const runFinishReason = (status: string): string => STATUSES.get(status)?.finish ?? status;
