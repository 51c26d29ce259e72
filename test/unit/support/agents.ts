// Shared set-up of the Agents SDK unit tests: the real `@openai/agents` (0.20, on its own openai 7), loaded
// after the instrumentation is enabled (as in an app), its default client pointed at the emulator.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before } from 'node:test';
import { API_KEY, startTracing, type SpanJSON, type Tracing } from './tracing';

export { outline } from '../../support/spans';

export type AgentsSDK = typeof import('@openai/agents');
export type Zod = typeof import('zod').z;
export type OpenAIClass = new (o: object) => object;

export interface AgentsTracing {
  t: Tracing;
  sdk: AgentsSDK;
  z: Zod;
  /** The SDK's own `OpenAI` class (openai 7), for apps that build their own client. */
  OpenAI: OpenAIClass;
}

/** One per test file (the hook patches the cached modules once per process). */
export async function startAgents(): Promise<AgentsTracing> {
  // What a test runner's environment does: the SDK's own tracing is off by default, and nothing is
  // exported to OpenAI's platform from the tests.
  process.env.NODE_ENV = 'test';
  const t = await startTracing();
  const load = createRequire(__filename);
  const sdk = load('@openai/agents') as AgentsSDK;
  const z = (load('zod') as { z: Zod }).z;
  const { OpenAI } = createRequire(load.resolve('@openai/agents-openai'))('openai') as { OpenAI: OpenAIClass };
  sdk.setDefaultOpenAIClient(new OpenAI({ apiKey: API_KEY, baseURL: t.emulator.baseURL, maxRetries: 0 }) as never);
  sdk.setOpenAIAPI('responses');
  return { t, sdk, z, OpenAI };
}

/** A test file's set-up: started before its tests and closed after them (the fields are there from its first test on). */
export function agentsPerFile(): AgentsTracing {
  const a = {} as AgentsTracing;
  before(async () => void Object.assign(a, await startAgents()));
  after(async () => {
    await a.t?.close();
  });
  return a;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A tool taking a city that answers after `ms` (its execution time is what its span must show). */
export function cityTool({ sdk, z }: Pick<AgentsTracing, 'sdk' | 'z'>, name: string, answer: (city: string) => string, ms = 0) {
  return sdk.tool({
    name,
    description: `${name} of a city.`,
    parameters: z.object({ city: z.string() }),
    execute: async ({ city }) => {
      if (ms > 0) await sleep(ms);
      return answer(city);
    },
  });
}

/** The spans of one run's trace, from its root `invoke_agent` (one not under another agent). */
export async function runSpans(t: Tracing, rootName: string): Promise<{ spans: SpanJSON[]; root: SpanJSON }> {
  const all = await t.spans();
  const root = all.find((s) => s.name === rootName && !all.some((p) => p.spanId === s.parentSpanId && p.name.startsWith('invoke_agent')));
  assert.ok(root, `a root ${rootName} among ${all.map((s) => s.name).join(', ')}`);
  return { spans: all.filter((s) => s.traceId === root.traceId), root };
}
