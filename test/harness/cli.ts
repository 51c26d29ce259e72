// Run scenarios in cells by hand and print what the children recorded, e.g.
//   node --import tsx test/harness/cli.ts "node22 openai7 otel3 esm" test/harness/smoke-scenario.mjs
//   node --import tsx test/harness/cli.ts "otel2" test/scenarios/foo.mjs --base-url http://127.0.0.1:4010/v1 --args '{"x":1}'
// The cell filter works like SPANLENS_CELLS ("all" for every cell). Without --base-url, a stub server
// answers every request with an empty list object (enough for the smoke scenario).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cellName, runCell, selectedCells } from './run-cell';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'base-url': { type: 'string' },
    args: { type: 'string' },
    config: { type: 'string' },
    'no-id-generator': { type: 'boolean' },
    'timeout-ms': { type: 'string' },
    'esm-hook': { type: 'string' },
  },
});
const [filter, ...modules] = positionals;
if (!filter || modules.length === 0) {
  console.error('usage: node --import tsx test/harness/cli.ts "<cell words>|all" <scenario.mjs>... [--base-url URL] [--args JSON] [--config JSON]');
  process.exit(2);
}

async function main(): Promise<void> {
  let baseURL = values['base-url'];
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: [{ id: 'stub-model', object: 'model', created: 0, owned_by: 'spanlens' }], path: req.url }));
  });
  if (!baseURL) {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  }

  let failed = false;
  for (const cell of selectedCells(filter === 'all' ? '' : filter)) {
    const started = Date.now();
    try {
      const run = await runCell(cell, {
        baseURL,
        scenarios: modules.map((m) => ({ name: path.basename(m), module: path.resolve(m), args: values.args ? JSON.parse(values.args) : undefined })),
        instrumentationConfig: values.config ? JSON.parse(values.config) : undefined,
        idGenerator: values['no-id-generator'] ? false : undefined,
        esmHook: values['esm-hook'] as 'include' | 'all' | undefined,
        timeoutMs: values['timeout-ms'] ? Number(values['timeout-ms']) : undefined,
      });
      console.log(`=== ${cellName(cell)} (${Date.now() - started} ms)`);
      console.log(JSON.stringify(run, null, 2));
    } catch (err) {
      failed = true;
      console.log(`=== ${cellName(cell)} FAILED`);
      console.log(err instanceof Error ? err.message : err);
    }
  }
  server.close();
  process.exit(failed ? 1 : 0);
}

void main();
