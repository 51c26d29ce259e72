import { ApiError, missingParam } from '../engine/errors';
import { nowSeconds } from '../engine/store';
import * as v from '../engine/validate';
import { paginate, queryList } from '../http/pagination';
import { route, type ApiRequest, type Route } from '../http/router';
import { includeList, listed, parseItems, type Body, type Listed } from './request';
import type { ConversationRecord, ResponseContext } from './context';
import type { ResponseEngine } from './response-engine';
import type { StoredItem } from './types';

// The Conversations API: /conversations, /conversations/{id}, /conversations/{id}/items[/{item_id}].
// A response created with `conversation` reads its items and, once it ends, appends its own.

function newConversation(ctx: ResponseContext, engine: ResponseEngine, body: Body): ConversationRecord {
  const items = parseItems(ctx, body['items'], 'items', []);
  const rec: ConversationRecord = {
    conversation: { id: ctx.ids.hexId('conv_'), object: 'conversation', created_at: nowSeconds(), metadata: v.metadata(body) ?? {} },
    items,
  };
  engine.conversations.set(rec.conversation.id, rec);
  return rec;
}

function findItem(rec: ConversationRecord, id: string): StoredItem {
  const found = rec.items.find((x) => (x as Listed).id === id);
  if (!found) throw new ApiError(404, `Item with id '${id}' not found.`, 'invalid_request_error', null);
  return found;
}

export function conversationRoutes(ctx: ResponseContext, engine: ResponseEngine): Route[] {
  const p = (req: ApiRequest, name: string) => req.params[name] as string;
  return [
    route('POST', '/conversations', (req) => newConversation(ctx, engine, v.asBody(req.body)).conversation),
    route('GET', '/conversations/:conversation_id', (req) => engine.conversation(p(req, 'conversation_id')).conversation),
    route('POST', '/conversations/:conversation_id', (req) => {
      const rec = engine.conversation(p(req, 'conversation_id'));
      const body = v.asBody(req.body);
      if (!v.has(body, 'metadata')) throw missingParam('metadata');
      rec.conversation.metadata = v.metadata(body) ?? {};
      return rec.conversation;
    }),
    route('DELETE', '/conversations/:conversation_id', (req) => {
      const rec = engine.conversation(p(req, 'conversation_id'));
      engine.conversations.delete(rec.conversation.id);
      return { id: rec.conversation.id, object: 'conversation.deleted', deleted: true };
    }),
    route('POST', '/conversations/:conversation_id/items', (req) => {
      const rec = engine.conversation(p(req, 'conversation_id'));
      const body = v.asBody(req.body);
      const raw = v.optionalArray(body, 'items');
      if (!raw) throw missingParam('items');
      const added = parseItems(ctx, raw, 'items', rec.items);
      rec.items.push(...added);
      const data = listed(added);
      return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: false };
    }),
    route('GET', '/conversations/:conversation_id/items', (req) => {
      const rec = engine.conversation(p(req, 'conversation_id'));
      includeList(queryList(req.query, 'include'), 'include');
      return paginate(listed(rec.items), req.query);
    }),
    route('GET', '/conversations/:conversation_id/items/:item_id', (req) => {
      const rec = engine.conversation(p(req, 'conversation_id'));
      return findItem(rec, p(req, 'item_id'));
    }),
    route('DELETE', '/conversations/:conversation_id/items/:item_id', (req) => {
      const rec = engine.conversation(p(req, 'conversation_id'));
      const found = findItem(rec, p(req, 'item_id'));
      rec.items.splice(rec.items.indexOf(found), 1);
      return rec.conversation;
    }),
  ];
}
