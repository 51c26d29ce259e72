#!/usr/bin/env node
// The `spanlens` command. `main(argv, io)` is also what the tests call, in process.
import { Pricing, UnknownModelWarnings } from '../cost';
import { conversationTraceId, threadTraceId } from '../trace/trace-ids';
import { parseArgs, USAGE, type CostCommand } from './args';
import { buildCostReport, type ThreadCostReport } from './cost-report';
import { CliError, EXIT } from './errors';
import { describeSource, loadTrace } from './load-trace';
import { buildModelReport, renderModelsText } from './model-report';
import { renderJson } from './render-json';
import { renderText } from './render-text';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Where SPANLENS_PRICING_FILE is read; default process.env. */
  env?: Record<string, string | undefined>;
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    io.stdout(USAGE);
    return EXIT.OK;
  }
  if (parsed.kind === 'error') {
    io.stderr(`spanlens: ${parsed.message}\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  try {
    return await costCommand(parsed.command, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`spanlens: ${err.message}\n`);
      return err.exitCode;
    }
    io.stderr(`spanlens: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.INTERNAL;
  }
}

async function costCommand(command: CostCommand, io: CliIo): Promise<number> {
  const { threadId, source } = command;
  // A Responses API conversation (conv_…) is traced like a thread, under its own derived trace id.
  const traceId = threadId.startsWith('conv_') ? conversationTraceId(threadId) : threadTraceId(threadId);
  const spans = await loadTrace(source, traceId);
  const where = describeSource(source);
  if (spans.length === 0) {
    throw new CliError(EXIT.NOT_FOUND, `no trace for thread ${threadId} (trace id ${traceId}) in ${where}`);
  }
  const pricing = new Pricing({ env: io.env ?? process.env, onError: (message) => io.stderr(`${message}\n`) });
  if (command.models) {
    const rows = buildModelReport(spans, pricing);
    io.stdout(command.json ? `${JSON.stringify({ threadId, traceId, prices: pricing.sources, models: rows }, null, 2)}\n` : renderModelsText(rows));
    return EXIT.OK;
  }
  const report = buildCostReport(threadId, traceId, spans, pricing);
  if (!report) {
    throw new CliError(EXIT.NOT_FOUND, `the trace of thread ${threadId} (trace id ${traceId}) in ${where} has ${spans.length} span(s) but no run spans (spanlens.kind=agent_step)`);
  }
  const warnings = new UnknownModelWarnings();
  for (const model of report.unpricedModels) {
    if (warnings.shouldWarn(model)) {
      io.stderr(`spanlens: no price for model ${JSON.stringify(model)}: its runs are left out of the totals; add it to a pricing file named by SPANLENS_PRICING_FILE\n`);
    }
  }
  io.stdout(command.json ? renderJson(report, pricing.sources) : renderText(report, pricesNote(report, pricing)));
  return EXIT.OK;
}

function pricesNote(report: ThreadCostReport, pricing: Pricing): string {
  if (report.totals.estimatedRuns === 0 && report.totals.unpricedRuns === 0) return 'Costs as recorded on the run spans.';
  return `Costs as recorded on the run spans; estimates priced with the ${pricing.sources.join(', then ')}.`;
}

function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
  };
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
