'use strict';
// span-dump preload for examples/demo.cjs:  node -r demo-preload.cjs examples/demo.cjs   (cwd = the repo)
// The demo builds its own NodeTracerProvider with a SimpleSpanProcessor into an InMemorySpanExporter and
// shuts it down at the end (which clears that exporter). This preload tees every batch that ANY
// InMemorySpanExporter of the repo's @opentelemetry/sdk-trace-base receives into a list, and at process
// exit writes the spans (raw, see raw-span.cjs) to $SPAN_DUMP_OUT. The demo itself runs unchanged.
const { createRequire } = require('node:module');
const { writeFileSync } = require('node:fs');
const path = require('node:path');
const { toRaw } = require('./raw-span.cjs');

const out = process.env.SPAN_DUMP_OUT;
if (!out) throw new Error('demo-preload: SPAN_DUMP_OUT is not set');
// Resolve exactly as examples/demo.cjs does, so we patch the same module instance it uses.
const demoRequire = createRequire(path.resolve('examples/demo.cjs'));
const api = demoRequire('@opentelemetry/api');
const { InMemorySpanExporter } = demoRequire('@opentelemetry/sdk-trace-base');

const seen = [];
const original = InMemorySpanExporter.prototype.export;
InMemorySpanExporter.prototype.export = function exportTee(spans, resultCallback) {
  for (const s of spans) seen.push(toRaw(api, s));
  return original.call(this, spans, resultCallback);
};

process.on('exit', (code) => {
  writeFileSync(out, JSON.stringify({ spans: seen, exitCode: code }));
});
