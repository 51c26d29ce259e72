// The harness's own check, run in every cell: one real SDK call over HTTP inside an ambient app span,
// plus the facts that prove which node, which openai build and which patch the cell really ran.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export default async function smoke(ctx) {
  const { api, tracer } = ctx;
  const openaiPkgDir = path.dirname(ctx.openaiEntry);
  const openaiPkg = JSON.parse(readFileSync(path.join(openaiPkgDir, 'package.json'), 'utf8'));

  // Where the SDK's own code runs from: the stack at the moment it calls fetch.
  let sdkFrames = [];
  const fetchSpy = async (url, init) => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 200;
    const stack = new Error('fetch').stack ?? '';
    Error.stackTraceLimit = limit;
    sdkFrames = [...stack.matchAll(/(?:file:\/\/)?(\/[^\s():]*\/node_modules\/openai\/[^\s():]+)/g)].map((m) => path.relative(openaiPkgDir, m[1]));
    return globalThis.fetch(url, init);
  };
  const { client } = ctx.makeClient({ maxRetries: 0, fetch: fetchSpy });

  const ambient = await tracer.startActiveSpan('smoke.ambient', { attributes: { 'smoke.major': ctx.major } }, async (span) => {
    try {
      const page = await client.models.list();
      const child = tracer.startSpan('smoke.child', {
        kind: api.SpanKind.CLIENT,
        links: [{ context: span.spanContext(), attributes: { 'smoke.link': true } }],
      });
      child.setStatus({ code: api.SpanStatusCode.ERROR, message: 'on purpose' });
      child.end();
      span.addEvent('smoke.listed', { 'smoke.count': page.data.length });
      span.setStatus({ code: api.SpanStatusCode.OK });
      return { data: page.data, traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
    } finally {
      span.end();
    }
  });

  // The class that owns makeRequest (APIClient in v4, OpenAI in v5+), and whether it carries shimmer's mark.
  let proto = ctx.OpenAI.prototype;
  while (proto && proto !== Object.prototype && !Object.prototype.hasOwnProperty.call(proto, 'makeRequest')) {
    proto = Object.getPrototypeOf(proto);
  }
  const owner = proto && proto !== Object.prototype ? proto : undefined;

  // CommonJS files of this openai copy in require's cache: the CJS build in a CJS cell; in an ESM cell none of
  // its entry/client files (openai 7's ESM build does require() one small internal .js state file).
  const cjsLoaded = Object.keys(createRequire(import.meta.url).cache)
    .filter((f) => f.startsWith(openaiPkgDir + path.sep))
    .map((f) => path.relative(openaiPkgDir, f));

  return {
    node: process.version,
    openaiVersion: openaiPkg.version,
    openaiEntry: path.relative(openaiPkgDir, ctx.openaiEntry),
    namespaceTag: Object.prototype.toString.call(ctx.openaiModule),
    sdkFrames,
    cjsLoaded,
    owner: owner && {
      name: owner.constructor.name,
      wrapped: owner.makeRequest.__wrapped === true,
      hasOriginal: typeof owner.makeRequest.__original === 'function',
    },
    ...ambient,
  };
}
