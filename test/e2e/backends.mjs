// Real tracing backends for the end-to-end tests: an OpenTelemetry Collector (built with the collector
// builder from test/e2e/otelcol-builder.yaml) and Jaeger v2 (built from its Go module), both built from
// source with the local Go toolchain, once, into a cache directory outside the clone, and run as child
// processes on free loopback ports.
//
//   ensureBackends()               build (or reuse) the binaries: { collectorBin, jaegerBin, dir, versions, ... }
//   validateConfig(file, env)      `otelcol validate --config file`: { ok, exitCode, output }
//   startJaeger()                  Jaeger v2, in-memory storage: { pid, ports: { otlpGrpc, otlpHttp, query, ... }, stop() }
//   startCollector({ config, env }) the collector on a config file: { pid, ports: { otlpGrpc, otlpHttp, health, metrics }, stop() }
//   fetchTrace(queryPort, traceId) GET Jaeger's /api/traces/{traceId} until the spans are there
//   startTracingStack()            all of the above wired together: app --OTLP--> collector (the repo's
//                                  otel-collector-config.yaml) --OTLP--> Jaeger; Tempo points at a dead port
//
// Cache: $SPANLENS_E2E_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/spanlens-e2e, then /<pins>-<hash>/ for the
// binaries (bin/, build.json, logs/ of the build steps) and /runs/ for the logs of the last 10 test runs.
// Needs `go` on PATH (Go >= 1.26: the pinned builder's go.mod says so). Plain Node ESM, no dependencies.
//   node test/e2e/backends.mjs        build/refresh the cache and print versions, sizes and build times
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '../..');
export const COLLECTOR_CONFIG = path.join(REPO_ROOT, 'otel-collector-config.yaml');
export const JAEGER_CONFIG = path.join(HERE, 'jaeger-config.yaml');
const BUILDER_MANIFEST = path.join(HERE, 'otelcol-builder.yaml');

// ---- pins -----------------------------------------------------------------------------------------------
export const VERSIONS = Object.freeze({
  // go.opentelemetry.io/collector/cmd/builder; the components in otelcol-builder.yaml use the same release
  // (v0.165.0 for beta modules, v1.71.0 for stable ones, contrib v0.165.0).
  builder: 'v0.165.0',
  collector: 'v0.165.0',
  // Jaeger's Go module is github.com/jaegertracing/jaeger (no /v2), so its v2.x.y tags are not valid
  // versions of it. Releases up to v2.13.0 were also tagged v1.x.y on the same commit: v1.76.0 is the
  // v2.13.0 commit ("v1.76.0 / v2.13.0" in its CHANGELOG), cmd/jaeger there is the v2 binary (a collector
  // distribution on otelcol v0.140.0), and v1.76.0 is the newest version the module proxy lists. For a
  // later v2 release pin the release commit's pseudo-version, v1.76.1-0.<UTC yyyymmddhhmmss>-<12 hex>:
  // the module proxy as reached here serves canonical versions only and answers 403 to branch names and
  // bare commit hashes, so the commit time has to be known (e.g. `git log -1 --format=%cd
  // --date=format-local:%Y%m%d%H%M%S` with TZ=UTC in a clone).
  jaegerModule: 'github.com/jaegertracing/jaeger',
  jaegerModuleVersion: 'v1.76.0',
  jaegerRelease: 'v2.13.0',
});

// `go install pkg@version` refuses Jaeger's module (its go.mod has a replace directive), so it is built
// as the only dependency of a throwaway module that repeats that replace directive; the build list is then
// exactly Jaeger's own go.mod (checked: same versions for all 338 requirements).
const JAEGER_WRAPPER_GOMOD = `module spanlens.local/e2e-jaeger

go 1.24.6

// Copied from github.com/jaegertracing/jaeger@${VERSIONS.jaegerModuleVersion}'s go.mod.
replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0
`;

// Bump when the build recipe below changes in a way the inputs of the hash don't show.
const RECIPE = 1;

// ---- timeouts (ms) --------------------------------------------------------------------------------------
// Cold builds take ~6 min on a 2-core machine (builder 16 s, collector 70 s, Jaeger 4 min); the whole build
// gets SPANLENS_E2E_BUILD_TIMEOUT_MS (default 30 min) and each step the part of it that is left.
const BUILD_TIMEOUT_MS = Number(process.env.SPANLENS_E2E_BUILD_TIMEOUT_MS) || 30 * 60_000;
const LOCK_WAIT_MS = BUILD_TIMEOUT_MS + 60_000;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

const log = (msg) => console.error(`[e2e-backends] ${msg}`);
const sec = (ms) => `${(ms / 1000).toFixed(1)}s`;
const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;

// ---- go -------------------------------------------------------------------------------------------------
/** The local Go toolchain's `go env` (GOVERSION, GOOS, ...), or an Error that says what is missing and how to skip. */
export function goEnv() {
  let r;
  try {
    r = spawnSync('go', ['env', '-json', 'GOVERSION', 'GOOS', 'GOARCH', 'GOMODCACHE', 'GOCACHE', 'GOPROXY'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
  } catch (err) {
    r = { error: err };
  }
  if (r.error || r.status !== 0) {
    const why = r.error?.code === 'ENOENT' ? '`go` is not on PATH' : (r.error?.message ?? `${r.stderr}`.trim());
    throw new Error(
      `e2e backends: no usable Go toolchain (${why}). The e2e tests build an OpenTelemetry Collector and ` +
        'Jaeger v2 from their Go modules and need Go >= 1.26 on PATH (https://go.dev/dl/, or Debian/Ubuntu ' +
        'golang packages if new enough), or set SPANLENS_SKIP_E2E=1 to skip them.',
    );
  }
  return JSON.parse(r.stdout);
}

export function cacheRoot() {
  if (process.env.SPANLENS_E2E_CACHE) return path.resolve(process.env.SPANLENS_E2E_CACHE);
  const xdg = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'spanlens-e2e');
}

function cacheKey(go) {
  const h = createHash('sha256');
  h.update(JSON.stringify({ RECIPE, VERSIONS, go: [go.GOVERSION, go.GOOS, go.GOARCH] }));
  h.update(readFileSync(BUILDER_MANIFEST));
  h.update(JAEGER_WRAPPER_GOMOD);
  return `${VERSIONS.collector}-jaeger-${VERSIONS.jaegerRelease}-${h.digest('hex').slice(0, 12)}`;
}

// Build steps run in their own process group (go spawns compilers), killed as a group on timeout or exit.
const buildGroups = new Set();

// Runs one build step with its output in a log file; kills the step's process group past the deadline.
function step(name, cmd, args, { cwd, env, deadline, logDir }) {
  const logFile = path.join(logDir, `${name}.log`);
  const timeoutMs = deadline - Date.now();
  if (timeoutMs <= 0) throw new Error(`e2e backends: build budget (${sec(BUILD_TIMEOUT_MS)}) used up before "${name}"`);
  const fd = openSync(logFile, 'w');
  const started = Date.now();
  log(`${name}: ${cmd} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', fd, fd], detached: true });
    } catch (err) {
      closeSync(fd);
      reject(err);
      return;
    }
    buildGroups.add(child.pid);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      closeSync(fd);
      reject(new Error(`e2e backends: ${name}: cannot run ${cmd}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      buildGroups.delete(child.pid);
      clearTimeout(timer);
      closeSync(fd);
      const ms = Date.now() - started;
      if (code === 0) {
        log(`${name}: done in ${sec(ms)}`);
        resolve(ms);
        return;
      }
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
      const why = timedOut ? `timed out after ${sec(timeoutMs)} and was killed` : `failed (${code ?? signal})`;
      reject(new Error(`e2e backends: ${name} ${why}; log ${logFile}:\n${tail}`));
    });
  });
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

// A lock directory so that two test processes don't build into the same cache at once.
async function withLock(lockDir, fn) {
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let holder = NaN;
      try {
        holder = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {
        /* being written */
      }
      let age = 0;
      try {
        age = Date.now() - statSync(lockDir).mtimeMs;
      } catch {
        /* just released */
      }
      if ((Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) || (!Number.isInteger(holder) && age > 60_000)) {
        log(`removing stale build lock ${lockDir} (pid ${holder})`);
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`e2e backends: gave up waiting for the build lock ${lockDir} (held by pid ${holder})`, { cause: err });
      if (!announced) log(`waiting for another build (pid ${holder}) to finish: ${lockDir}`);
      announced = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

let ensured;

/**
 * Builds the collector and Jaeger into the cache (once per pin set), or reuses a finished build.
 * Resolves to { dir, collectorBin, jaegerBin, versions, go, build: { ...times }, sizes, reused }.
 * Fails with the reason (no Go toolchain, a build step's error and log tail, a timeout), never hangs.
 */
export function ensureBackends() {
  ensured ??= ensureBackendsOnce().catch((err) => {
    ensured = undefined;
    throw err;
  });
  return ensured;
}

async function ensureBackendsOnce() {
  const go = goEnv();
  const dir = path.join(cacheRoot(), cacheKey(go));
  const binDir = path.join(dir, 'bin');
  const collectorBin = path.join(binDir, 'otelcol-spanlens');
  const jaegerBin = path.join(binDir, 'jaeger');
  const stampFile = path.join(dir, 'build.json');
  const describe = (stamp, reused) => {
    const info = { dir, collectorBin, jaegerBin, versions: VERSIONS, go: go.GOVERSION, ...stamp, reused };
    log(
      `${reused ? 'reusing' : 'built'} ${dir}: collector ${VERSIONS.collector} (${mib(info.sizes.collector)}), ` +
        `jaeger ${VERSIONS.jaegerRelease} = ${VERSIONS.jaegerModule}@${VERSIONS.jaegerModuleVersion} ` +
        `(${mib(info.sizes.jaeger)}), ${go.GOVERSION}; build times: ${Object.entries(info.buildMs)
          .map(([k, v]) => `${k} ${sec(v)}`)
          .join(', ')}` +
        (reused ? ` (at ${info.builtAt})` : ''),
    );
    return info;
  };
  const finished = () => existsSync(stampFile) && existsSync(collectorBin) && existsSync(jaegerBin);
  if (finished()) return describe(JSON.parse(readFileSync(stampFile, 'utf8')), true);

  mkdirSync(cacheRoot(), { recursive: true });
  return withLock(`${dir}.lock`, async () => {
    if (finished()) return describe(JSON.parse(readFileSync(stampFile, 'utf8')), true);
    const started = Date.now();
    const deadline = started + BUILD_TIMEOUT_MS;
    log(`building the e2e backends into ${dir} with ${go.GOVERSION} (GOPROXY=${go.GOPROXY}, GOMODCACHE=${go.GOMODCACHE}); a cold build takes several minutes`);
    const work = path.join(dir, 'work');
    const logDir = path.join(dir, 'logs');
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    mkdirSync(logDir, { recursive: true });
    mkdirSync(binDir, { recursive: true });
    const toolsDir = path.join(work, 'tools');
    const buildMs = {};
    const opts = { cwd: work, deadline, logDir };

    // 1. The collector builder (ocb), then the collector from our manifest.
    buildMs.builder = await step('install-builder', 'go', ['install', `go.opentelemetry.io/collector/cmd/builder@${VERSIONS.builder}`], {
      ...opts,
      env: { GOBIN: toolsDir },
    });
    copyFileSync(BUILDER_MANIFEST, path.join(work, 'otelcol-builder.yaml'));
    buildMs.collector = await step('build-collector', path.join(toolsDir, 'builder'), ['--config', 'otelcol-builder.yaml'], opts);
    renameSync(path.join(work, 'otelcol-src', 'otelcol-spanlens'), collectorBin);

    // 2. Jaeger v2 as the only dependency of a wrapper module (see JAEGER_WRAPPER_GOMOD).
    const jaegerSrc = path.join(work, 'jaeger-src');
    mkdirSync(jaegerSrc);
    writeFileSync(path.join(jaegerSrc, 'go.mod'), JAEGER_WRAPPER_GOMOD);
    const jaegerPkg = `${VERSIONS.jaegerModule}/cmd/jaeger`;
    buildMs.jaegerModules = await step('get-jaeger', 'go', ['get', '-tool', `${jaegerPkg}@${VERSIONS.jaegerModuleVersion}`], {
      ...opts,
      cwd: jaegerSrc,
    });
    const versionPkg = `${VERSIONS.jaegerModule}/internal/version`;
    const ldflags = `-s -w -X ${versionPkg}.latestVersion=${VERSIONS.jaegerRelease}`;
    buildMs.jaeger = await step('build-jaeger', 'go', ['build', '-trimpath', `-ldflags=${ldflags}`, '-o', jaegerBin, jaegerPkg], {
      ...opts,
      cwd: jaegerSrc,
    });

    buildMs.total = Date.now() - started;
    const stamp = {
      builtAt: new Date().toISOString(),
      buildMs,
      sizes: { collector: statSync(collectorBin).size, jaeger: statSync(jaegerBin).size },
    };
    writeFileSync(stampFile, `${JSON.stringify({ ...stamp, versions: VERSIONS, go: go.GOVERSION }, null, 2)}\n`);
    rmSync(work, { recursive: true, force: true });
    return describe(stamp, false);
  });
}

// ---- config validation ----------------------------------------------------------------------------------
/** Runs the collector's `validate` subcommand on a config file. Resolves to { ok, exitCode, output }. */
export async function validateConfig(file = COLLECTOR_CONFIG, env = {}) {
  const { collectorBin } = await ensureBackends();
  const r = spawnSync(collectorBin, ['validate', `--config=${path.resolve(file)}`], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
  return { ok: r.status === 0, exitCode: r.status, output };
}

// ---- processes ------------------------------------------------------------------------------------------
const running = new Map(); // pid -> ChildProcess

function killAllSync() {
  for (const [pid] of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  running.clear();
  for (const pgid of buildGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  buildGroups.clear();
}
process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  // Stop the children, then die of the same signal (the handler is gone by then).
  process.once(sig, () => {
    killAllSync();
    process.kill(process.pid, sig);
  });
}

/** Free loopback TCP ports, all held open at once so they differ, then released. */
export async function freePorts(n) {
  const servers = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      servers.push(srv);
      await new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r()))));
  }
}

function tailOf(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// The children's logs: <cache root>/runs/<time>-<pid>/<name>-<n>.log, the last KEEP_RUNS runs kept.
const KEEP_RUNS = 10;
let runDir;
let logCount = 0;
function logPath(name) {
  if (!runDir) {
    const runs = path.join(cacheRoot(), 'runs');
    mkdirSync(runs, { recursive: true });
    const old = readdirSync(runs).sort();
    for (const entry of old.slice(0, Math.max(0, old.length - (KEEP_RUNS - 1)))) {
      rmSync(path.join(runs, entry), { recursive: true, force: true });
    }
    runDir = mkdtempSync(path.join(runs, `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-`));
  }
  return path.join(runDir, `${name}-${++logCount}.log`);
}

// Starts a binary with its output in a log file, waits until `ready()` resolves true (polled), and returns
// { pid, ports, logFile, readLog(), stop() }. A process that exits early or isn't ready in time is killed
// and the error carries its log tail; "address already in use" (a port taken between choosing and binding)
// is retried with new ports.
async function startProcess(name, { bin, args, makeEnv, portNames, ready, readyTimeoutMs = READY_TIMEOUT_MS, fixedPorts }) {
  for (let attempt = 1; ; attempt++) {
    const ports = fixedPorts ?? Object.fromEntries((await freePorts(portNames.length)).map((p, i) => [portNames[i], p]));
    const logFile = logPath(name);
    const fd = openSync(logFile, 'w');
    const child = spawn(bin, args, { env: { ...process.env, ...makeEnv(ports) }, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    let exited = null;
    const exitPromise = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        exited = { code, signal };
        running.delete(child.pid);
        resolve(exited);
      });
      child.on('error', (err) => {
        exited = { error: err };
        resolve(exited);
      });
    });
    if (child.pid) running.set(child.pid, child);

    let stopping;
    const stop = () => {
      stopping ??= (async () => {
        if (exited) return exited;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        const result = await exitPromise;
        clearTimeout(timer);
        return result;
      })();
      return stopping;
    };
    const handle = { name, pid: child.pid, ports, logFile, readLog: () => readFileSync(logFile, 'utf8'), stop };

    const started = Date.now();
    const deadline = started + readyTimeoutMs;
    let lastProblem = '';
    while (!exited) {
      try {
        if (await ready(ports)) {
          log(`${name} ready (pid ${child.pid}, ${sec(Date.now() - started)}): ${JSON.stringify(ports)}`);
          return handle;
        }
        lastProblem = 'not ready yet';
      } catch (err) {
        lastProblem = err.cause?.code ?? err.message;
      }
      if (Date.now() > deadline) break;
      await Promise.race([new Promise((r) => setTimeout(r, 200)), exitPromise]);
    }
    const how = exited ? `exited early (${exited.error?.message ?? exited.code ?? exited.signal})` : `not ready after ${sec(readyTimeoutMs)} (${lastProblem})`;
    await stop();
    const tail = tailOf(logFile);
    if (exited && /address already in use/.test(tail) && attempt < 3) {
      log(`${name}: a port was taken before it bound it; retrying with new ports`);
      continue;
    }
    throw new Error(`e2e backends: ${name} ${how}; log ${logFile}:\n${tail}`);
  }
}

async function httpOk(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

/**
 * Jaeger v2 with test/e2e/jaeger-config.yaml: in-memory storage, OTLP receiver and query API on free
 * loopback ports. Ready when its healthcheckv2 /status answers 200 and the query API answers.
 * ports: { otlpGrpc, otlpHttp, query, queryGrpc, health }.
 */
export async function startJaeger({ config = JAEGER_CONFIG, env = {} } = {}) {
  const { jaegerBin } = await ensureBackends();
  return startProcess('jaeger', {
    bin: jaegerBin,
    args: ['--config', `file:${path.resolve(config)}`],
    portNames: ['otlpGrpc', 'otlpHttp', 'query', 'queryGrpc', 'health'],
    makeEnv: (p) => ({
      SPANLENS_JAEGER_OTLP_GRPC: `127.0.0.1:${p.otlpGrpc}`,
      SPANLENS_JAEGER_OTLP_HTTP: `127.0.0.1:${p.otlpHttp}`,
      SPANLENS_JAEGER_QUERY_HTTP: `127.0.0.1:${p.query}`,
      SPANLENS_JAEGER_QUERY_GRPC: `127.0.0.1:${p.queryGrpc}`,
      SPANLENS_JAEGER_HEALTH: `127.0.0.1:${p.health}`,
      ...env,
    }),
    ready: async (p) => (await httpOk(`http://127.0.0.1:${p.health}/status`)) && (await httpOk(`http://127.0.0.1:${p.query}/api/services`)),
  });
}

/**
 * The collector on a config file (default: the repo's otel-collector-config.yaml). Its receiver, health
 * and metrics endpoints get free loopback ports through the OTELCOL_* env variables that file reads;
 * `env` adds the rest (JAEGER_OTLP_ENDPOINT, TEMPO_OTLP_ENDPOINT, ...) and may be a function of the ports;
 * `extraPorts` names more free ports to choose along with them (e.g. one to leave unused).
 * Ready when health_check answers 200 (after every pipeline has started).
 * ports: { otlpGrpc, otlpHttp, health, metrics, ...extraPorts }; pass `ports` (all of those names) to choose them.
 */
export async function startCollector({ config = COLLECTOR_CONFIG, env = {}, extraPorts = [], ports } = {}) {
  const { collectorBin } = await ensureBackends();
  return startProcess('collector', {
    // `ports`: the ports of an earlier run, to restart the collector where its clients expect it.
    fixedPorts: ports,
    bin: collectorBin,
    args: [`--config=file:${path.resolve(config)}`],
    portNames: ['otlpGrpc', 'otlpHttp', 'health', 'metrics', ...extraPorts],
    makeEnv: (p) => ({
      OTELCOL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${p.otlpGrpc}`,
      OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${p.otlpHttp}`,
      OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${p.health}`,
      OTELCOL_METRICS_HOST: '127.0.0.1',
      OTELCOL_METRICS_PORT: String(p.metrics),
      ...(typeof env === 'function' ? env(p) : env),
    }),
    ready: (p) => httpOk(`http://127.0.0.1:${p.health}/`),
  });
}

/**
 * GET Jaeger's /api/traces/{traceId} until the trace has at least `minSpans` spans (Jaeger answers 404
 * until the first span is stored) or `timeoutMs` passes. Resolves to the trace ({ traceID, spans,
 * processes, warnings }); rejects with the last answer on timeout.
 */
export async function fetchTrace(queryPort, traceId, { minSpans = 1, timeoutMs = 30_000, intervalMs = 250 } = {}) {
  const url = `http://127.0.0.1:${queryPort}/api/traces/${traceId}`;
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      const text = await res.text();
      last = `${res.status} ${text.slice(0, 500)}`;
      if (res.ok) {
        const body = JSON.parse(text);
        const trace = body.data?.[0];
        if (trace && trace.spans.length >= minSpans) return trace;
      }
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    if (Date.now() > deadline) {
      throw new Error(`e2e backends: trace ${traceId} not in Jaeger with >= ${minSpans} span(s) after ${sec(timeoutMs)}; last answer: ${last}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Everything an e2e test needs, wired the way users run it: Jaeger, then the collector on the repo's
 * otel-collector-config.yaml exporting to that Jaeger, with Tempo pointed at a loopback port that nothing
 * listens on (the Tempo exporter retries in its own sending queue; Jaeger is not held up).
 * Resolves to { jaeger, collector, otlpHttpUrl, otlpGrpcEndpoint, queryPort, fetchTrace(traceId, opts), stop() }.
 * Point an app's OTLP exporter at otlpHttpUrl (OTEL_EXPORTER_OTLP_ENDPOINT) or otlpGrpcEndpoint.
 */
export async function startTracingStack({ collectorConfig = COLLECTOR_CONFIG, collectorEnv = {} } = {}) {
  await ensureBackends();
  const jaeger = await startJaeger();
  let collector;
  try {
    collector = await startCollector({
      config: collectorConfig,
      // deadTempo is chosen free together with the collector's own ports, so it is none of them.
      extraPorts: ['deadTempo'],
      env: (p) => ({
        JAEGER_OTLP_ENDPOINT: `127.0.0.1:${jaeger.ports.otlpGrpc}`,
        TEMPO_OTLP_ENDPOINT: `127.0.0.1:${p.deadTempo}`,
        ...(typeof collectorEnv === 'function' ? collectorEnv(p) : collectorEnv),
      }),
    });
  } catch (err) {
    await jaeger.stop();
    throw err;
  }
  return {
    jaeger,
    collector,
    otlpHttpUrl: `http://127.0.0.1:${collector.ports.otlpHttp}`,
    otlpGrpcEndpoint: `127.0.0.1:${collector.ports.otlpGrpc}`,
    queryPort: jaeger.ports.query,
    fetchTrace: (traceId, opts) => fetchTrace(jaeger.ports.query, traceId, opts),
    // Collector first, so that it can flush to a Jaeger that is still there.
    stop: async () => {
      try {
        await collector.stop();
      } finally {
        await jaeger.stop();
      }
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // No top-level await: test files (CommonJS under tsx) load this module with require().
  ensureBackends().then(
    (info) => console.log(JSON.stringify(info, null, 2)),
    (err) => {
      console.error(err.message);
      process.exitCode = 1;
    },
  );
}
