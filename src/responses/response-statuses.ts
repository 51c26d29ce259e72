import { obj, str, type Obj } from '../util/json';

/**
 * The one table of Responses statuses: whether the response ends there, the GenAI finish reason it
 * gives, and whether it is a failure. A status not listed (queued, in_progress, or a new one) is open.
 */
interface ResponseStatus {
  terminal: boolean;
  finish: string;
  failed: boolean;
}

const STATUSES = new Map<string, ResponseStatus>([
  ['completed', { terminal: true, finish: 'stop', failed: false }],
  ['incomplete', { terminal: true, finish: 'length', failed: false }],
  ['cancelled', { terminal: true, finish: 'cancelled', failed: false }],
  ['failed', { terminal: true, finish: 'error', failed: true }],
]);

/** The response ends at this status. */
export const isTerminalResponse = (status: string): boolean => STATUSES.get(status)?.terminal === true;

/** The response failed at this status: its span is marked with the reported error. */
export const responseFailed = (status: string): boolean => STATUSES.get(status)?.failed === true;

/** The finish reason at this status; an incomplete response cut by the content filter says so. */
export function responseFinishReason(status: string, response: Obj | undefined): string {
  const reason = str(obj(response?.incomplete_details)?.reason);
  if (status === 'incomplete' && reason === 'content_filter') return 'content_filter';
  return STATUSES.get(status)?.finish ?? status;
}
