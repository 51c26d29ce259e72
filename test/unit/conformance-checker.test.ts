// The conformance checker itself (test/support/conformance*.ts), on hand-made spans and metrics: conforming
// ones pass, each kind of violation is reported with its rule, attribute and span.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSpans, type Violation } from '../support/conformance';
import { checkMetrics, type MetricJSON } from '../support/conformance-metrics';
import type { SpanJSON } from '../support/spans';

function span(name: string, kind: string, attributes: Record<string, unknown>, status: SpanJSON['status']['code'] = 'UNSET'): SpanJSON {
  return { name, kind, traceId: 't', spanId: name, startMs: 0, endMs: 1, durationMs: 1, status: { code: status }, attributes, events: [], links: [] };
}

const chat = (extra: Record<string, unknown> = {}, status: SpanJSON['status']['code'] = 'UNSET') =>
  span(
    'chat gpt-4o-mini',
    'CLIENT',
    {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.response.finish_reasons': ['stop'],
      'server.address': 'api.openai.com',
      'server.port': 443,
      'openai.api.type': 'chat_completions',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'hello' }], finish_reason: 'stop' }]),
      'spanlens.cost.usd': 0.001,
      ...extra,
    },
    status,
  );

const rules = (vs: Violation[]) => vs.map((v) => `${v.rule} ${v.attribute ?? ''}`.trim()).sort();

describe('conformance checker', () => {
  it('passes conforming spans of each kind', () => {
    const spans = [
      chat(),
      span('invoke_agent Helper', 'CLIENT', {
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.provider.name': 'openai',
        'gen_ai.agent.name': 'Helper',
        'gen_ai.agent.id': 'asst_1',
        'gen_ai.conversation.id': 'thread_1',
        'openai.thread.id': 'thread_1',
      }),
      span('invoke_agent', 'CLIENT', { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.provider.name': 'openai', 'gen_ai.agent.id': 'asst_2' }),
      span('create_agent Helper', 'CLIENT', { 'gen_ai.operation.name': 'create_agent', 'gen_ai.provider.name': 'openai', 'gen_ai.agent.name': 'Helper', 'gen_ai.request.model': 'gpt-4o' }),
      span('execute_tool get_weather', 'INTERNAL', {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'get_weather',
        'gen_ai.tool.type': 'function',
        'gen_ai.tool.call.arguments': '{"city":"Paris"}',
      }),
      span('embeddings text-embedding-3-small', 'CLIENT', {
        'gen_ai.operation.name': 'embeddings',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'text-embedding-3-small',
        'gen_ai.request.encoding_formats': ['float'],
      }),
      chat({ 'error.type': '429', 'gen_ai.request.stream': true, 'openai.request.service_tier': 'flex' }, 'ERROR'),
      span('run_step', 'INTERNAL', { 'openai.step.id': 'step_1', 'openai.run.id': 'run_1', 'spanlens.kind': 'step', 'url.template': '/v1/threads/{thread_id}/runs' }),
    ];
    assert.deepEqual(checkSpans(spans, { api: 'chat_completions' }), []);
    assert.deepEqual(checkSpans([chat()], { model: 'gpt-4o-mini', api: 'chat_completions' }), []);
  });

  it('reports registry violations: unknown, deprecated, wrong type, closed enum', () => {
    const vs = checkSpans([
      chat({
        'openai.response.id': 'resp_1',
        'gen_ai.system': 'openai',
        'gen_ai.request.max_tokens': 1.5,
        'gen_ai.request.stop_sequences': 'END',
        'gen_ai.output.type': 'json_schema',
        'error.type': 'custom_error',
      }),
    ]);
    assert.deepEqual(rules(vs), ['deprecated gen_ai.system', 'enum gen_ai.output.type', 'not-in-registry openai.response.id', 'type gen_ai.request.max_tokens', 'type gen_ai.request.stop_sequences']);
    assert.equal(vs.find((v) => v.attribute === 'openai.response.id')?.span, 'chat gpt-4o-mini');
    assert.equal(vs.find((v) => v.attribute === 'gen_ai.request.max_tokens')?.value, '1.5');
  });

  it('reports span kind, name and required / conditionally required attributes', () => {
    const vs = checkSpans([
      span('message', 'INTERNAL', { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' }),
      span('invoke_agent asst_1', 'CLIENT', { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.provider.name': 'openai', 'openai.thread.id': 'thread_1' }),
      chat({ 'gen_ai.conversation.id': 'chatcmpl-1', 'server.port': undefined }, 'ERROR'),
      span('execute_tool', 'CLIENT', { 'gen_ai.operation.name': 'execute_tool' }),
    ]);
    assert.deepEqual(rules(vs), [
      'conditionally-required error.type',
      'conditionally-required server.port',
      'conversation-id gen_ai.conversation.id',
      'conversation-id gen_ai.conversation.id',
      'required gen_ai.request.model',
      'required gen_ai.tool.name',
      'span-kind',
      'span-kind',
      'span-name',
      'span-name',
      'span-name',
    ]);
  });

  it('validates message attributes as JSON against their schemas', () => {
    const vs = checkSpans([
      chat({
        'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"hel…[truncated]',
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'x' }] }]),
        'gen_ai.system_instructions': JSON.stringify({ type: 'text', content: 'an object, not a list of parts' }),
      }),
    ]);
    assert.deepEqual(rules(vs), ['json gen_ai.input.messages', 'schema gen_ai.output.messages', 'schema gen_ai.system_instructions']);
    assert.match(vs.find((v) => v.attribute === 'gen_ai.output.messages')!.detail, /finish_reason/);
  });

  it('checks the request-dependent conditions when the flow states them', () => {
    const dated = chat({ 'gen_ai.request.model': 'gpt-4o-mini-2024-07-18' });
    dated.name = 'chat gpt-4o-mini-2024-07-18';
    const vs = checkSpans([dated, chat({ 'openai.api.type': undefined })], { model: 'gpt-4o-mini', stream: true, api: 'chat_completions', serviceTier: 'flex', seed: 7 });
    assert.deepEqual(rules(vs), [
      'conditionally-required gen_ai.request.seed',
      'conditionally-required gen_ai.request.seed',
      'conditionally-required gen_ai.request.stream',
      'conditionally-required gen_ai.request.stream',
      'conditionally-required openai.request.service_tier',
      'conditionally-required openai.request.service_tier',
      'recommended openai.api.type',
      'request-mismatch gen_ai.request.model',
    ]);
  });

  it('checks metrics: instrument, unit, attributes, and one duration per operation', () => {
    const base = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'server.address': 'api.openai.com',
      'server.port': 443,
    };
    const good: MetricJSON[] = [
      { name: 'gen_ai.client.operation.duration', unit: 's', instrument: 'histogram', points: [{ attributes: base, value: { sum: 0.5, count: 1 } }] },
      { name: 'gen_ai.client.token.usage', unit: '{token}', instrument: 'histogram', points: [{ attributes: { ...base, 'gen_ai.token.type': 'input' }, value: { sum: 10, count: 1 } }] },
    ];
    assert.deepEqual(checkMetrics(good, [chat()]), []);
    const bad: MetricJSON[] = [
      { name: 'gen_ai.client.operation.duration', unit: 'ms', instrument: 'counter', points: [{ attributes: { ...base, 'gen_ai.request.model': 'gpt-4o-mini-2024-07-18' }, value: 500 }] },
      { name: 'gen_ai.client.token.usage', unit: '{token}', points: [{ attributes: { ...base, 'gen_ai.token.type': 'completion' }, value: { sum: 10, count: 1 } }] },
    ];
    const vs = checkMetrics(bad, [chat(), chat({ 'error.type': '500' }, 'ERROR')]);
    assert.deepEqual(rules(vs), ['enum gen_ai.token.type', 'metric-instrument', 'metric-missing-error', 'metric-missing-operation', 'metric-request-model gen_ai.request.model', 'metric-unit']);
  });
});
