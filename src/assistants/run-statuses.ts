import { TerminalStatuses } from '../turns/turn-statuses';

/**
 * The one table of Assistants terminal statuses: a run's, and a run step's (which use a subset of the
 * same words). Open: queued, in_progress, requires_action, cancelling.
 */
export const RUN_STATUSES = new TerminalStatuses({
  completed: { finish: 'stop' },
  incomplete: { finish: 'length' },
  cancelled: { finish: 'cancelled' },
  failed: { finish: 'error', failed: true },
  expired: { finish: 'expired', failed: true },
});
