import { badRequest } from '../engine/errors';
import { paginate, queryValue } from '../http/pagination';
import { route, type Route } from '../http/router';
import type { Deps } from './deps';
import { asBody, has, metadata } from '../engine/validate';

export function threadRoutes({ store, entities, engine }: Deps): Route[] {
  const param = (req: { params: Record<string, string> }, name: string) => req.params[name] as string;

  return [
    // POST /threads/runs (createAndRun) lives in routes-runs.ts and is registered before these.
    route('POST', '/threads', (req) => entities.createThread(asBody(req.body)).thread),
    route('GET', '/threads/:thread_id', (req) => store.thread(param(req, 'thread_id')).thread),
    route('POST', '/threads/:thread_id', (req) => {
      const rec = store.thread(param(req, 'thread_id'));
      entities.updateThread(rec, asBody(req.body));
      return rec.thread;
    }),
    route('DELETE', '/threads/:thread_id', (req) => {
      const rec = store.thread(param(req, 'thread_id'));
      for (const runId of rec.runIds) {
        store.runs.delete(runId);
        store.steps.delete(runId);
        engine.forget(runId);
      }
      store.threads.delete(rec.thread.id);
      return { id: rec.thread.id, object: 'thread.deleted', deleted: true };
    }),

    route('POST', '/threads/:thread_id/messages', (req) => {
      const rec = store.thread(param(req, 'thread_id'));
      const parsed = entities.parseMessage(asBody(req.body));
      const active = store.activeRun(rec.thread.id);
      if (active) throw badRequest(`Can't add messages to ${rec.thread.id} while a run ${active.id} is active.`);
      return entities.pushMessage(rec, parsed);
    }),
    route('GET', '/threads/:thread_id/messages', (req) => {
      const rec = store.thread(param(req, 'thread_id'));
      const runId = queryValue(req.query, 'run_id');
      const list = runId ? rec.messages.filter((m) => m.run_id === runId) : rec.messages;
      return paginate(list, req.query);
    }),
    route('GET', '/threads/:thread_id/messages/:message_id', (req) => store.message(param(req, 'thread_id'), param(req, 'message_id'))),
    route('POST', '/threads/:thread_id/messages/:message_id', (req) => {
      const message = store.message(param(req, 'thread_id'), param(req, 'message_id'));
      const body = asBody(req.body);
      if (has(body, 'metadata')) message.metadata = metadata(body) ?? {};
      return message;
    }),
  ];
}
