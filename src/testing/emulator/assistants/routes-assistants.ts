import { paginate } from '../http/pagination';
import { route, type Route } from '../http/router';
import type { Deps } from './deps';
import { asBody } from '../engine/validate';

export function assistantRoutes({ store, entities }: Deps): Route[] {
  return [
    route('POST', '/assistants', (req) => entities.createAssistant(asBody(req.body))),
    route('GET', '/assistants', (req) => paginate([...store.assistants.values()], req.query)),
    route('GET', '/assistants/:assistant_id', (req) => store.assistant(req.params['assistant_id'] as string)),
    route('POST', '/assistants/:assistant_id', (req) => entities.updateAssistant(store.assistant(req.params['assistant_id'] as string), asBody(req.body))),
    route('DELETE', '/assistants/:assistant_id', (req) => {
      const a = store.assistant(req.params['assistant_id'] as string);
      store.assistants.delete(a.id);
      return { id: a.id, object: 'assistant.deleted', deleted: true };
    }),
  ];
}
