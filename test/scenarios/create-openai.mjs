// The drop-in: createOpenAI() returns a client of the app's `openai` whose calls are traced.
import { createRequire } from 'node:module';

export default async function dropIn(ctx) {
  const require = createRequire(ctx.args.packageJson);
  const { createOpenAI } = require('@spanlens/instrumentation-openai');
  const client = createOpenAI({ apiKey: ctx.apiKey, baseURL: ctx.baseURL, instrumentation: { captureContent: false } });
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'drop-in hello' }] });
  return { threadId: thread.id, hasBeta: typeof client.beta === 'object', sameClass: client instanceof ctx.OpenAI };
}
