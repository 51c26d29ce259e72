import { badRequest, missingParam } from '../engine/errors';
import { parseMultipart } from '../http/multipart';
import { paginate } from '../http/pagination';
import { route, type ApiRequest, type Route } from '../http/router';
import type { Deps } from './deps';
import { asBody, requiredString } from '../engine/validate';

const PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'];

export function fileRoutes({ store, entities }: Deps): Route[] {
  const p = (req: ApiRequest, name: string) => req.params[name] as string;

  return [
    route('POST', '/files', (req) => {
      const type = req.headers['content-type'] ?? '';
      if (!/^multipart\/form-data/i.test(type)) {
        throw badRequest('Expected a multipart/form-data body with a file and a purpose.', 'file');
      }
      const parts = parseMultipart(req.rawBody, type);
      const file = parts.find((x) => x.name === 'file');
      if (!file) throw missingParam('file');
      const purpose = parts.find((x) => x.name === 'purpose')?.data.toString('utf8');
      if (!purpose) throw missingParam('purpose');
      if (!PURPOSES.includes(purpose)) {
        throw badRequest(`'${purpose}' is not one of ${JSON.stringify(PURPOSES)} - 'purpose'`, 'purpose', 'invalid_value');
      }
      return entities.createFile(file.filename || 'upload', file.data.length, purpose);
    }),
    route('GET', '/files/:file_id', (req) => store.file(p(req, 'file_id'))),

    route('POST', '/vector_stores', (req) => entities.createVectorStore(asBody(req.body))),
    route('GET', '/vector_stores/:vector_store_id', (req) => store.vectorStore(p(req, 'vector_store_id'))),
    route('POST', '/vector_stores/:vector_store_id/files', (req) => {
      const vs = store.vectorStore(p(req, 'vector_store_id'));
      return entities.attachFile(vs, requiredString(asBody(req.body), 'file_id'));
    }),
    route('GET', '/vector_stores/:vector_store_id/files', (req) => {
      const vs = store.vectorStore(p(req, 'vector_store_id'));
      return paginate(store.vectorStoreFiles.get(vs.id) ?? [], req.query);
    }),
  ];
}
