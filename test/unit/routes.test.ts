// The route table: span names, templates, ids and kinds for the paths the SDK sends.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { matchRoute } from '../../src/calls/routes';

it('Assistants, Responses, Conversations, chat and embeddings paths map to their kinds and ids', () => {
  const cases: Array<[string, string, string, string, Record<string, string>]> = [
    ['POST', '/threads/thread_Ab1/runs', 'run.create', 'openai.threads.runs.create', { threadId: 'thread_Ab1' }],
    ['GET', '/threads/thread_Ab1/runs/run_X9', 'run.retrieve', 'openai.threads.runs.retrieve', { threadId: 'thread_Ab1', runId: 'run_X9' }],
    ['POST', '/threads/thread_Ab1/runs/run_X9/submit_tool_outputs', 'run.submit_tool_outputs', 'openai.threads.runs.submit_tool_outputs', { runId: 'run_X9' }],
    ['POST', '/responses', 'response.create', 'openai.responses.create', {}],
    ['GET', '/responses/resp_0a1', 'response.retrieve', 'openai.responses.retrieve', { responseId: 'resp_0a1' }],
    ['POST', '/responses/resp_0a1/cancel', 'response.cancel', 'openai.responses.cancel', { responseId: 'resp_0a1' }],
    ['GET', '/responses/resp_0a1/input_items', 'generic', 'openai.responses.input_items.list', { responseId: 'resp_0a1' }],
    ['POST', '/conversations', 'conversation.create', 'openai.conversations.create', {}],
    ['POST', '/conversations/conv_9f/items', 'conversation.items', 'openai.conversations.items.create', { conversationId: 'conv_9f' }],
    ['GET', '/conversations/conv_9f/items', 'conversation.read', 'openai.conversations.items.list', { conversationId: 'conv_9f' }],
    ['DELETE', '/conversations/conv_9f/items/msg_1', 'generic', 'openai.conversations.items.delete', { conversationId: 'conv_9f', itemId: 'msg_1' }],
    ['POST', '/chat/completions', 'chat.create', 'openai.chat.completions.create', {}],
    ['POST', '/embeddings', 'embeddings.create', 'openai.embeddings.create', {}],
    ['POST', '/decisions', 'decision.create', 'openai.decisions.create', {}],
    // Azure: the deployment segment is not part of the route; an absolute URL and /v1 are stripped.
    ['POST', '/deployments/mymodel/chat/completions?api-version=2024-10-21', 'chat.create', 'openai.chat.completions.create', {}],
    ['POST', 'https://api.openai.com/v1/embeddings', 'embeddings.create', 'openai.embeddings.create', {}],
    // A compatible server's all-lowercase ids are ids by their collection's prefix; path words are not.
    ['POST', '/threads/thread_abcdef/runs/run_xyzzy/cancel', 'run.cancel', 'openai.threads.runs.cancel', { threadId: 'thread_abcdef', runId: 'run_xyzzy' }],
    ['GET', '/threads/thread_abc/messages/msg_abc', 'message.read', 'openai.threads.messages.retrieve', { threadId: 'thread_abc', messageId: 'msg_abc' }],
    ['GET', '/responses/resp_abcdef', 'response.retrieve', 'openai.responses.retrieve', { responseId: 'resp_abcdef' }],
    ['POST', '/threads/runs', 'run.create_and_run', 'openai.threads.create_and_run', {}],
    ['POST', '/responses/input_tokens', 'generic', 'openai.responses.input_tokens.create', {}],
    ['GET', '/threads/thread_', 'generic', 'openai.threads.thread_.list', {}],
    // Ids are decoded; a malformed escape (found by the property tests) is kept, never thrown.
    ['GET', '/responses/resp%5F1', 'response.retrieve', 'openai.responses.retrieve', { responseId: 'resp_1' }],
    ['POST', '/responses/%/cancel', 'response.cancel', 'openai.responses.cancel', { responseId: '%' }],
  ];
  for (const [method, path, kind, name, ids] of cases) {
    const r = matchRoute(method, path);
    assert.equal(r.kind, kind, path);
    assert.equal(r.name, name, path);
    for (const [k, v] of Object.entries(ids)) assert.equal((r as unknown as Record<string, string>)[k], v, `${path} ${k}`);
  }
});

it('routes are cached by method and path: a repeat is the same frozen object, and the bound never changes a result', () => {
  const first = matchRoute('GET', '/threads/thread_Cache1/runs/run_C1');
  assert.equal(matchRoute('GET', '/threads/thread_Cache1/runs/run_C1'), first);
  assert.ok(Object.isFrozen(first));
  // The method is part of the key: the same path read and written are different routes.
  assert.equal(matchRoute('POST', '/threads/thread_Cache1/runs/run_C1').name, 'openai.threads.runs.update');
  // More distinct paths than the cache holds (it clears when full): every answer is still the parse of its own path.
  for (let i = 0; i < 1500; i++) {
    const r = matchRoute('POST', `/threads/thread_N${i}/messages`);
    assert.equal(r.kind, 'message.create');
    assert.equal(r.threadId, `thread_N${i}`);
  }
  assert.equal(matchRoute('GET', '/threads/thread_Cache1/runs/run_C1').runId, 'run_C1');
});
