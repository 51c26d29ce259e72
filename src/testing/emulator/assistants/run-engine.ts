import type { ParsedMessage } from '../engine/entities';
import { badRequest } from '../engine/errors';
import { nowSeconds, type ThreadRecord } from '../engine/store';
import type { WireAssistant, WireRun } from '../engine/types';
import { clone } from '../engine/stage';
import { RunMachine } from './run-machine';
import { RUN_TTL_SECONDS, type EngineContext, type RunParams } from './run-objects';
import { chooseScript, scriptStages } from './scripts';

// The run machines of one emulator, by run id, and the creation of a run (run-machine.ts runs it).

export class RunEngine {
  private readonly machines = new Map<string, RunMachine>();

  constructor(private readonly ctx: EngineContext) {}

  clear(): void {
    this.machines.clear();
  }

  forget(runId: string): void {
    this.machines.delete(runId);
  }

  machine(runId: string): RunMachine | undefined {
    return this.machines.get(runId);
  }

  /**
   * Creates a queued run on the thread: checks the thread is free and can be run, picks the script,
   * appends `additionalMessages`, and logs thread.run.created / thread.run.queued.
   */
  createRun(rec: ThreadRecord, assistant: WireAssistant, params: RunParams, options: { include: string[]; additionalMessages: ParsedMessage[]; threadCreated: boolean }): RunMachine {
    const { store } = this.ctx;
    const active = store.activeRun(rec.thread.id);
    if (active) throw badRequest(`Thread ${rec.thread.id} already has an active run ${active.id}.`);
    const now = nowSeconds();
    let instructions = params.instructions ?? assistant.instructions ?? null;
    if (params.additional_instructions) {
      instructions = instructions ? `${instructions}\n${params.additional_instructions}` : params.additional_instructions;
    }
    const run: WireRun = {
      id: '',
      object: 'thread.run',
      created_at: now,
      assistant_id: assistant.id,
      thread_id: rec.thread.id,
      status: 'queued',
      started_at: null,
      expires_at: now + RUN_TTL_SECONDS,
      cancelled_at: null,
      failed_at: null,
      completed_at: null,
      required_action: null,
      last_error: null,
      model: params.model ?? assistant.model,
      instructions,
      tools: params.tools ?? clone(assistant.tools),
      tool_resources: params.tool_resources ?? {},
      metadata: params.metadata ?? {},
      temperature: params.temperature ?? assistant.temperature ?? 1.0,
      top_p: params.top_p ?? assistant.top_p ?? 1.0,
      reasoning_effort: params.reasoning_effort ?? null,
      max_completion_tokens: params.max_completion_tokens ?? null,
      max_prompt_tokens: params.max_prompt_tokens ?? null,
      truncation_strategy: params.truncation_strategy ?? { type: 'auto', last_messages: null },
      incomplete_details: null,
      usage: null,
      response_format: params.response_format ?? assistant.response_format ?? 'auto',
      tool_choice: params.tool_choice ?? 'auto',
      parallel_tool_calls: params.parallel_tool_calls ?? true,
    };
    const script = chooseScript(run, assistant);
    // The real API refuses a run on a thread without a user message when there are no instructions
    // either (400 invalid_thread, recorded); the emulator lets it through so scripted runs (e.g. the
    // `cancel` script on an empty thread) need no setup.
    run.id = store.newId('run');
    for (const m of options.additionalMessages) this.ctx.entities.pushMessage(rec, m);
    const hadPreviousRun = rec.runIds.length > 0;
    store.runs.set(run.id, run);
    rec.runIds.push(run.id);
    store.runSteps(run.id);
    const machine = new RunMachine(this.ctx, run, rec, assistant, script, options.include, hadPreviousRun, options.threadCreated);
    machine.load(scriptStages(machine));
    this.machines.set(run.id, machine);
    return machine;
  }
}
