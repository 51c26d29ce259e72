'use strict';
// Cell child for CommonJS apps: `require('@spanlens/instrumentation-openai')`, `require('openai')`.
// The instrumentation hooks require() (require-in-the-middle), so openai must be required after it is enabled.
const { createRequire } = require('node:module');
const path = require('node:path');
const { main } = require('./child-core.cjs');

main({
  format: 'cjs',
  loadPackage: async (_consumerDir, appRequire) => ({
    mod: appRequire('@spanlens/instrumentation-openai'),
    entry: appRequire.resolve('@spanlens/instrumentation-openai'),
  }),
  registerEsmHook: () => {
    throw new Error('the CJS child does not register the ESM loader hook');
  },
  loadOpenAI: async (openaiAppDir) => {
    // Same resolution as a `require('openai')` in a file of that dir.
    const req = createRequire(path.join(openaiAppDir, 'package.json'));
    return { mod: req('openai'), entry: req.resolve('openai') };
  },
  loadAppModule: async (openaiAppDir, name) => {
    const req = createRequire(path.join(openaiAppDir, 'package.json'));
    return { mod: req(name), entry: req.resolve(name) };
  },
});
