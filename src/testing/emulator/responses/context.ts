import type { Entities } from '../engine/entities';
import type { IdFactory } from '../engine/ids';
import type { Store } from '../engine/store';
import { tokens } from '../engine/usage';
import type { StoredItem, WireConversation } from './types';

// What the Responses side shares: the emulator's state it reads, the conversations, and the text
// (and token estimate) of a stored item.

export interface ResponseContext {
  store: Store;
  entities: Entities;
  ids: IdFactory;
  seed: number;
  pollsPerStatus: number;
}

export interface ConversationRecord {
  conversation: WireConversation;
  /** Oldest first. */
  items: StoredItem[];
}

const PER_ITEM_OVERHEAD = 4;
export const PER_REQUEST_OVERHEAD = 3;
const IMAGE_TOKENS = 85;

/** Token estimate of one stored item (its texts, ≈4 chars a token, a few tokens of framing). */
export function itemTokens(item: StoredItem): number {
  return PER_ITEM_OVERHEAD + tokens(itemText(item));
}

/** The text an item contributes to a prompt. */
export function itemText(item: StoredItem): string {
  switch (item.type) {
    case 'message':
      return item.content
        .map((p) => {
          const part = p as { text?: unknown; refusal?: unknown; type?: unknown };
          if (typeof part.text === 'string') return part.text;
          if (typeof part.refusal === 'string') return part.refusal;
          return part.type === 'input_image' ? ' '.repeat(IMAGE_TOKENS * 4) : '';
        })
        .join(' ');
    case 'function_call':
      return `${item.name}(${item.arguments})`;
    case 'function_call_output':
      return typeof item.output === 'string' ? item.output : JSON.stringify(item.output);
    case 'reasoning':
      return item.summary.map((s) => s.text).join(' ');
    default:
      return JSON.stringify(item);
  }
}

/** The text of the last user message among the items ('' when there is none). */
export function lastUserQuestion(items: readonly StoredItem[]): string {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as StoredItem;
    if (item.type !== 'message' || item.role !== 'user') continue;
    return itemText(item).trim();
  }
  return '';
}
