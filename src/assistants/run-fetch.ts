import { ROOT_CONTEXT, context } from '@opentelemetry/api';
import { arr, obj, str, type Obj } from '../util/json';
import type { ClientLike } from '../calls/observed-call';
import type { Services } from '../services';
import { suppressTracing } from '../trace/suppress';
import type { ConversationStore } from '../turns/conversation-store';
import type { RunSteps } from './step-spans';

// What the instrumentation asks the API itself about a finished run: its own requests, made through the
// app's client with tracing suppressed (they are not the app's calls), paged, with few retries.

const FILE_SEARCH_INCLUDE = 'step_details.tool_calls[*].file_search.results[*].content';
const MAX_PAGES = 10;
/** How long a finished polled run waits for the app's own messages read before fetching the texts. */
const APP_READ_WAIT_MS = 500;

/** Which run: its client, thread and id. */
interface RunRef {
  client: ClientLike;
  threadId: string;
  runId: string;
}

/** The run's steps (one suppressed, paged request) and, with content capture, its messages. */
export async function fetchRunSteps(env: Services, store: ConversationStore, run: RunRef): Promise<RunSteps | undefined> {
  if (!env.fetchRunSteps || typeof run.client.get !== 'function') return undefined;
  const thread = `/threads/${encodeURIComponent(run.threadId)}`;
  const steps = await listAll(run.client, `${thread}/runs/${encodeURIComponent(run.runId)}/steps`, { include: [FILE_SEARCH_INCLUDE] });
  const messageIds = steps.map((s) => str(obj(obj(s.step_details)?.message_creation)?.message_id)).filter((id): id is string => id !== undefined);
  // An app that lists the thread's messages (most do, right after the run) is waited for briefly, so
  // its read brings the texts and costs no request of ours. One never seen listing is not waited for.
  const wait = store.appListsMessages ? APP_READ_WAIT_MS : 0;
  if (env.content.enabled && messageIds.length && !(await store.whenTexts(messageIds, wait))) {
    const messages = await listAll(run.client, `${thread}/messages`, { run_id: run.runId }).catch(() => []);
    for (const m of messages) store.recordMessage(m, run.threadId);
  }
  return { steps };
}

/** The thread's runs, oldest first. */
export function fetchThreadRuns(run: RunRef): Promise<Obj[]> {
  if (typeof run.client.get !== 'function') return Promise.reject(new Error('client cannot make requests'));
  return listAll(run.client, `/threads/${encodeURIComponent(run.threadId)}/runs`, {});
}

async function listAll(client: ClientLike, path: string, query: Record<string, unknown>): Promise<Obj[]> {
  const out: Obj[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const q = { limit: 100, order: 'asc', ...query, ...(after ? { after } : {}) };
    const res = obj(
      await context.with(suppressTracing(ROOT_CONTEXT), () =>
        (client.get as NonNullable<ClientLike['get']>)(path, {
          query: q,
          headers: { 'OpenAI-Beta': 'assistants=v2' },
          maxRetries: 1,
          timeout: 30_000,
        }),
      ),
    );
    const data = arr(res?.data)
      .map(obj)
      .filter((x): x is Obj => x !== undefined);
    out.push(...data);
    after = str(res?.last_id) ?? str(data[data.length - 1]?.id);
    if (res?.has_more !== true || !after) break;
  }
  return out;
}
