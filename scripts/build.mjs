// Builds the CJS output with tsc, then writes thin ESM entry points that re-export it,
// so ESM and CJS users share one copy of the instrumentation's state (no dual-package hazard).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
  stdio: 'inherit',
});
writeFileSync(path.join(root, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n');

// The scope name and version come from package.json, stamped into the built version module.
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const versionFile = path.join(root, 'dist/cjs/version.js');
const stamped = readFileSync(versionFile, 'utf8')
  .replace(/PACKAGE_NAME = '[^']*'/, `PACKAGE_NAME = ${JSON.stringify(pkg.name).replace(/"/g, "'")}`)
  .replace(/PACKAGE_VERSION = '[^']*'/, `PACKAGE_VERSION = '${pkg.version}'`);
if (!stamped.includes(`'${pkg.version}'`)) throw new Error('build: could not stamp the version into dist/cjs/version.js');
writeFileSync(versionFile, stamped);

const entries = { 'index.mjs': '../cjs/index.js', 'testing.mjs': '../cjs/testing/index.js' };
mkdirSync(path.join(root, 'dist/esm'), { recursive: true });
for (const [file, target] of Object.entries(entries)) {
  const names = Object.keys(require(path.join(root, 'dist/esm', target))).filter((n) => n !== 'default' && n !== '__esModule');
  const body = `import cjs from '${target}';\nexport const { ${names.join(', ')} } = cjs;\nexport default cjs;\n`;
  writeFileSync(path.join(root, 'dist/esm', file), body);
}

// `node --import @spanlens/instrumentation-openai/register`: ESM imports of `openai` can only be patched
// through a loader hook registered before they happen. Only modules an instrumentation asked for are
// wrapped (import-in-the-middle's message channel, as @opentelemetry/auto-instrumentations-node does);
// the hook is the one beside the @opentelemetry/instrumentation copy that patches, or it never fires.
writeFileSync(
  path.join(root, 'dist/esm/register.mjs'),
  `import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const iitmPath = createRequire(require.resolve('@opentelemetry/instrumentation')).resolve('import-in-the-middle');
const { createAddHookMessageChannel } = require(iitmPath);
const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
register(pathToFileURL(path.join(path.dirname(iitmPath), 'hook.mjs')).href, import.meta.url, registerOptions);
const registered = require('../cjs/register.js');
await waitForAllMessagesAcknowledged();
export const { instrumentation, sdk, shutdown } = registered;
`,
);
