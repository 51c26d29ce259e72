// Deterministic regression test for a race seen under load: the app submits tool outputs as soon as
// it sees requires_action, and the submit stream moves the run on before the first stream's end is
// processed. That late end must not end the run span; the run ends once, at its terminal event.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { ObservedCall } from '../../src/calls/observed-call';
import { matchRoute } from '../../src/calls/routes';
import { RunTracker } from '../../src/assistants/run-tracker';
import { RunStreamSink } from '../../src/assistants/run-stream';
import { ConversationStore } from '../../src/turns/conversation-store';
import { testServices } from './support/services';

it('a first stream ending after the submit stream took over does not end the run', async () => {
  const pending: Promise<unknown>[] = [];
  const { env, spans } = testServices({ track: (w) => void pending.push(w) });
  const store = new ConversationStore(100, env.content);
  const runs = new RunTracker(env, store);
  const call = (path: string): ObservedCall => ({
    client: { baseURL: 'http://127.0.0.1:1/v1' },
    ambient: ROOT_CONTEXT,
    startTime: Date.now(),
    endTime: Date.now(),
    options: { method: 'POST', path, stream: true },
    bodyRead: false,
    stream: true,
  });
  const run = (status: string, extra: object = {}) => ({ id: 'run_A1', object: 'thread.run', thread_id: 'thread_T1', assistant_id: 'asst_X1', model: 'gpt-4o-mini', status, ...extra });
  const send = (sink: RunStreamSink, event: string, data: object) => sink.event({ event, data: JSON.stringify(data) }, Date.now());
  const hooks = { threadCreated: () => undefined, noRun: () => assert.fail('no run') };

  const createCall = call('/threads/thread_T1/runs');
  const first = new RunStreamSink(createCall, matchRoute('POST', '/threads/thread_T1/runs'), runs, store, hooks);
  send(first, 'thread.run.created', run('queued'));
  send(first, 'thread.run.in_progress', run('in_progress'));
  const calls = { type: 'submit_tool_outputs', submit_tool_outputs: { tool_calls: [{ id: 'call_Q1', type: 'function', function: { name: 'f', arguments: '{}' } }] } };
  send(first, 'thread.run.requires_action', run('requires_action', { required_action: calls }));

  // The app submits at once: the submit stream claims the run and moves it on...
  const submitPath = '/threads/thread_T1/runs/run_A1/submit_tool_outputs';
  runs.onSubmit('run_A1', { tool_outputs: [{ tool_call_id: 'call_Q1', output: 'ok' }] }, Date.now());
  const second = new RunStreamSink(call(submitPath), matchRoute('POST', submitPath), runs, store, hooks);
  send(second, 'thread.run.queued', run('queued'));
  // ...and only now is the first stream's end processed.
  first.end('done', Date.now());
  assert.equal(spans().length, 0, 'the run span is still open');

  send(second, 'thread.run.completed', run('completed', { usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }));
  second.end('done', Date.now());
  await Promise.allSettled(pending); // the steps request fails here (no server): the run still ends
  const runSpans = spans().filter((s) => s.name.startsWith('invoke_agent'));
  assert.equal(runSpans.length, 1);
  assert.equal(runSpans[0]!.attributes['spanlens.run.status'], 'completed');
  assert.equal(runSpans[0]!.attributes['spanlens.run.end_reason'], undefined);
});
