import { obj, str, type Obj } from '../util/json';
import { TerminalStatuses } from '../turns/turn-statuses';

/** The one table of Responses terminal statuses. Open: queued, in_progress. */
export const RESPONSE_STATUSES = new TerminalStatuses({
  completed: { finish: 'stop' },
  incomplete: { finish: 'length' },
  cancelled: { finish: 'cancelled' },
  failed: { finish: 'error', failed: true },
});

/** The finish reason at this status; an incomplete response cut by the content filter says so. */
export function responseFinishReason(status: string, response: Obj | undefined): string {
  const reason = str(obj(response?.incomplete_details)?.reason);
  if (status === 'incomplete' && reason === 'content_filter') return 'content_filter';
  return RESPONSE_STATUSES.finishReason(status);
}
