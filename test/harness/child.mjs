// Cell child for ES module apps: `import ... from '@spanlens/instrumentation-openai'`, `import ... from 'openai'`,
// both by bare name from a module inside the app dir (test/matrix/*/app.mjs), as an ESM app would.
// ESM imports are only patchable through a loader hook, registered in-process (module.register) before
// openai is imported. Two ways users register it (args.esmHook):
//   'include' (default): import-in-the-middle's hook with createAddHookMessageChannel(), so only modules
//     some Hook asked for (here: openai) are wrapped — what @opentelemetry/auto-instrumentations-node/register does;
//   'all': register('@opentelemetry/instrumentation/hook.mjs') as its README/esm-support doc show, wrapping every module.
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import core from './child-core.cjs';

const require = createRequire(import.meta.url);
const appModule = (dir) => import(pathToFileURL(path.join(dir, 'app.mjs')).href);

core.main({
  format: 'esm',
  loadPackage: async (consumerDir) => {
    const app = await appModule(consumerDir);
    return { mod: await app.importPackage(), entry: fileURLToPath(app.resolvePackage()) };
  },
  registerEsmHook: ({ mode, instrumentationHookUrl, iitmPath }) => {
    if (mode === 'all') {
      register(instrumentationHookUrl, import.meta.url);
      return { ready: async () => {} };
    }
    if (mode !== 'include') throw new Error(`unknown esmHook mode ${mode}`);
    const iitm = require(iitmPath);
    const { registerOptions, waitForAllMessagesAcknowledged } = iitm.createAddHookMessageChannel();
    register(pathToFileURL(path.join(path.dirname(iitmPath), 'hook.mjs')).href, import.meta.url, registerOptions);
    return { ready: () => waitForAllMessagesAcknowledged() };
  },
  loadOpenAI: async (openaiAppDir) => {
    const app = await appModule(openaiAppDir);
    return { mod: await app.importOpenAI(), entry: fileURLToPath(app.resolveOpenAI()) };
  },
  loadAppModule: async (openaiAppDir, name) => {
    const app = await appModule(openaiAppDir);
    return { mod: await app.importModule(name), entry: fileURLToPath(app.resolveModule(name)) };
  },
});
