import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { ClientOptions, OpenAI } from 'openai';
import type { OpenAIInstrumentationConfig } from './config';
import { OpenAIInstrumentation } from './instrumentation';

let registered: OpenAIInstrumentation | undefined;

/**
 * The drop-in: an `openai` client whose calls are traced. Registers an OpenAIInstrumentation with the
 * global tracer provider if none was registered through this function yet, and patches the already
 * loaded `openai` module (require-time hooks cannot see a module that is already in the cache).
 */
export function createOpenAI(options: ClientOptions & { instrumentation?: OpenAIInstrumentationConfig } = {}): OpenAI {
  const { instrumentation: config, ...clientOptions } = options;
  if (!registered) {
    registered = new OpenAIInstrumentation(config);
    registerInstrumentations({ instrumentations: [registered] });
  }
  const openai = require('openai') as { OpenAI: new (opts: ClientOptions) => OpenAI };
  const version = (require('openai/package.json') as { version?: string }).version;
  registered.patchModule(openai, version);
  return new openai.OpenAI(clientOptions);
}
