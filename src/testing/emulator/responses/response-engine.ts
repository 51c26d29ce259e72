import { ApiError } from '../engine/errors';
import { clone } from '../engine/stage';
import type { ConversationRecord } from './context';
import type { ResponseMachine } from './response-machine';
import type { StoredItem } from './types';

/** The machines of the responses and the conversations, by id. */
export class ResponseEngine {
  readonly machines = new Map<string, ResponseMachine>();
  readonly conversations = new Map<string, ConversationRecord>();

  clear(): void {
    this.machines.clear();
    this.conversations.clear();
  }

  /** A stored response (store: false ones are never found, as with the real API). */
  machine(id: string): ResponseMachine {
    const m = this.machines.get(id);
    if (!m || !m.response.store) throw new ApiError(404, `Response with id '${id}' not found.`, 'invalid_request_error', null);
    return m;
  }

  conversation(id: string): ConversationRecord {
    const c = this.conversations.get(id);
    if (!c) throw new ApiError(404, `Conversation with id '${id}' not found.`, 'invalid_request_error', null);
    return c;
  }

  /** Everything a follow-up of `id` sees: that response's history, its input and its output. */
  chain(id: string): StoredItem[] {
    const m = this.machines.get(id);
    if (!m || !m.response.store) {
      throw new ApiError(400, `Previous response with id '${id}' not found.`, 'invalid_request_error', 'previous_response_id', 'previous_response_not_found');
    }
    return [...m.history, ...m.inputItems, ...clone(m.response.output)];
  }
}
