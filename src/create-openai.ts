import { readFileSync } from 'node:fs';
import path from 'node:path';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { ClientOptions, OpenAI } from 'openai';
import type { OpenAIInstrumentationConfig } from './config';
import { OpenAIInstrumentation, loadedOpenAI } from './hook/instrumentation';

let registered: OpenAIInstrumentation | undefined;

/**
 * The drop-in: an `openai` client whose calls are traced. Registers an OpenAIInstrumentation with the
 * global tracer provider unless one was registered through this function already. The client comes
 * from the `openai` module the app has loaded (whichever build the hooks saw), else from
 * `require('openai')`, patched directly because require-time hooks cannot see a cached module.
 */
export function createOpenAI(options: ClientOptions & { instrumentation?: OpenAIInstrumentationConfig } = {}): OpenAI {
  const { instrumentation: config, ...clientOptions } = options;
  if (!registered) {
    registered = new OpenAIInstrumentation(config);
    registerInstrumentations({ instrumentations: [registered] });
  }
  let mod = loadedOpenAI?.exports as { OpenAI?: new (opts: ClientOptions) => OpenAI } | undefined;
  if (!mod?.OpenAI) {
    mod = require('openai') as { OpenAI: new (opts: ClientOptions) => OpenAI };
    registered.patchModule(mod, installedVersion());
  }
  return new (mod.OpenAI as new (opts: ClientOptions) => OpenAI)(clientOptions);
}

/** openai's version from its package.json, found from the resolved entry (v5+ do not export ./package.json). */
function installedVersion(): string | undefined {
  let dir = path.dirname(require.resolve('openai'));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'openai') return pkg.version;
    } catch {
      // not here: keep walking up
    }
    dir = path.dirname(dir);
  }
  return undefined;
}
