export type Source = { kind: 'jaeger'; url: string } | { kind: 'tempo'; url: string } | { kind: 'otlp-file'; path: string };

export interface CostCommand {
  threadId: string;
  source: Source;
  json: boolean;
  /** --models: list the trace's models and their price sources instead of the cost report. */
  models: boolean;
}

export type ParsedArgs = { kind: 'cost'; command: CostCommand } | { kind: 'help' } | { kind: 'error'; message: string };

export const USAGE = `Usage: spanlens cost <thread_id | conversation_id> (--jaeger URL | --tempo URL | --otlp-file FILE) [--json] [--models]

Reports what an OpenAI Assistants thread (thread_…) or Responses conversation (conv_…) cost, per user
message, from its trace.

  --jaeger URL       Jaeger query service, e.g. http://localhost:16686
  --tempo URL        Tempo HTTP API, e.g. http://localhost:3200
  --otlp-file FILE   OTLP JSON lines, as the OpenTelemetry Collector's file exporter writes them
  --json             print the report as JSON
  --models           list the models the trace names, where each one's price comes from, and the unpriced ones
  -h, --help         this text

Runs without a recorded cost are priced from their tokens with @pydantic/genai-prices' data (under a few
bundled corrections; the bundled OpenAI price list when a model is missing there);
SPANLENS_PRICING_FILE names a JSON file of your own prices ({ "models": { name: { input, cachedInput, output } } },
USD per 1M tokens).

Exit codes: 0 ok, 2 bad arguments, 3 thread not found (no trace or no run spans),
4 backend unreachable / file unreadable, 5 malformed data, 1 internal error.
`;

/** Parses `cost <thread_id> (--jaeger URL | --tempo URL | --otlp-file FILE) [--json]`; `--flag=value` works too. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  if (argv.length === 0) return error('missing command');
  if (argv.includes('-h') || argv.includes('--help') || argv[0] === 'help') return { kind: 'help' };
  const [command, ...rest] = argv;
  if (command !== 'cost') return error(`unknown command "${command}"`);

  const positional: string[] = [];
  const sources: Source[] = [];
  let json = false;
  let models = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    if (flag === '--json' || flag === '--models') {
      if (eq !== -1) return error(`${flag} takes no value`);
      if (flag === '--json') json = true;
      else models = true;
      continue;
    }
    if (flag !== '--jaeger' && flag !== '--tempo' && flag !== '--otlp-file') return error(`unknown option "${flag}"`);
    const value = eq === -1 ? rest[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '' || (eq === -1 && value.startsWith('--'))) return error(`${flag} needs a value`);
    if (flag === '--otlp-file') {
      sources.push({ kind: 'otlp-file', path: value });
    } else {
      const problem = urlProblem(value);
      if (problem) return error(`${flag} ${value}: ${problem}`);
      sources.push({ kind: flag === '--jaeger' ? 'jaeger' : 'tempo', url: value.replace(/\/+$/, '') });
    }
  }

  if (positional.length === 0) return error('missing <thread_id>');
  if (positional.length > 1) return error(`one thread id expected, got ${positional.length}: ${positional.join(' ')}`);
  if (sources.length !== 1) return error('give exactly one of --jaeger, --tempo, --otlp-file');
  return { kind: 'cost', command: { threadId: positional[0], source: sources[0], json, models } };
}

function urlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a URL';
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'only http and https URLs';
}

function error(message: string): ParsedArgs {
  return { kind: 'error', message };
}
