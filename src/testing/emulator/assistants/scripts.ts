import type OpenAI from 'openai';
import { badRequest } from '../engine/errors';
import { answerText, codeInterpreter, functionArguments, longAnswerText, quote, searchChunk, searchScore, toolAnswerText } from '../engine/generate';
import { hashInt } from '../engine/ids';
import { EMULATOR_SCRIPTS, type EmulatorScript } from '../options';
import type { Stage } from '../engine/stage';
import type { RunMachine } from './run-machine';
import type { FileSearchToolCall, RequiredToolCall, TextAnnotation, WireAssistant, WireRun, WireStep } from '../engine/types';
import { tokens } from '../engine/usage';

// The scripted behaviours. Each script is a list of stages; every stage is one state a poller can see.

type FunctionDefinition = OpenAI.FunctionDefinition;

/** `run.metadata.script` ?? `assistant.metadata.script` ?? a choice from tool_choice and the tools. */
export function chooseScript(run: WireRun, assistant: WireAssistant): EmulatorScript {
  const explicit = run.metadata?.['script'] ?? assistant.metadata?.['script'];
  if (explicit !== undefined) {
    if (!(EMULATOR_SCRIPTS as readonly string[]).includes(explicit)) {
      throw badRequest(`Unknown emulator script '${explicit}' in metadata.script. Expected one of: ${EMULATOR_SCRIPTS.join(', ')}.`, 'metadata.script', 'invalid_value');
    }
    return explicit as EmulatorScript;
  }
  const choice = run.tool_choice;
  if (choice === 'none') return 'answer';
  if (choice && typeof choice === 'object') {
    if (choice.type === 'function') return 'function';
    if (choice.type === 'code_interpreter') return 'code';
    if (choice.type === 'file_search') return 'file_search';
  }
  const types = new Set(run.tools.map((t) => t.type));
  if (types.has('function')) return 'function';
  if (types.has('code_interpreter')) return 'code';
  if (types.has('file_search')) return 'file_search';
  return 'answer';
}

/** The stages of each script, by name. */
const RUN_SCRIPTS: Record<EmulatorScript, (m: RunMachine) => Stage[]> = {
  answer: (m) => answer(m),
  long_answer: (m) => answer(m, LONG_ANSWER_REPEATS),
  function: (m) => functions(m, 1),
  expired: (m) => functions(m, 1),
  parallel_functions: (m) => functions(m, 2),
  code,
  file_search: fileSearch,
  failed: (m) => [() => startMessage(m), () => m.fail()],
  incomplete,
  cancel: (m) => [
    () => {
      startMessage(m);
      m.waitForCancel();
    },
  ],
};

export function scriptStages(m: RunMachine): Stage[] {
  return RUN_SCRIPTS[m.script](m);
}

function startMessage(m: RunMachine): void {
  m.setStatus('in_progress');
  m.beginMessage();
}

/** 'long_answer': the long answer this many times, about 400 message deltas (more than a span holds events). */
const LONG_ANSWER_REPEATS = 25;

function answer(m: RunMachine, repeats = 0): Stage[] {
  const text = repeats ? longAnswerText(m.seed, m.question).repeat(repeats) : answerText(m.seed, m.question);
  return [
    () => {
      m.setStatus('in_progress');
      m.beginMessage();
    },
    () => m.finishWithMessage(text),
  ];
}

function incomplete(m: RunMachine): Stage[] {
  return [
    () => {
      m.setStatus('in_progress');
      m.beginMessage();
    },
    () => {
      const text = longAnswerText(m.seed, m.question);
      // Always cut: the run's max_completion_tokens if set, else 16 tokens.
      const budget = Math.max(1, Math.min(m.run.max_completion_tokens ?? 16, tokens(text) - 1));
      m.finishWithMessage(text, [], [], budget);
    },
  ];
}

const FALLBACK_FUNCTION: FunctionDefinition = {
  name: 'get_information',
  description: 'Looks up information (the emulator made this call up: the run has no function tools).',
  parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};

/** The functions to call: the one tool_choice names first, then the others; two calls of one if needed. */
function pickFunctions(run: WireRun, count: number): FunctionDefinition[] {
  const fns = run.tools.flatMap((t) => (t.type === 'function' ? [t.function] : []));
  const choice = run.tool_choice;
  if (choice && typeof choice === 'object' && choice.type === 'function') {
    const i = fns.findIndex((f) => f.name === choice.function?.name);
    if (i > 0) fns.unshift(...fns.splice(i, 1));
  }
  if (fns.length === 0) fns.push(FALLBACK_FUNCTION);
  const first = fns[0] as FunctionDefinition;
  return Array.from({ length: count }, (_, i) => fns[i] ?? first);
}

function functions(m: RunMachine, count: number): Stage[] {
  let step: WireStep;
  return [
    () => {
      m.setStatus('in_progress');
      step = m.createToolStep();
    },
    () => {
      const calls: RequiredToolCall[] = pickFunctions(m.run, count).map((fn) => ({
        id: m.newId('call'),
        type: 'function',
        function: { name: fn.name, arguments: functionArguments(fn.parameters, m.question) },
      }));
      m.addToolCalls(
        step,
        calls.map((c) => ({ id: c.id, type: 'function', function: { ...c.function, output: null } })),
      );
      const question = m.question;
      m.requireAction(step, calls, (results) => [
        () => {
          m.setStatus('in_progress');
          m.beginMessage();
        },
        () =>
          m.finishWithMessage(
            toolAnswerText(
              m.seed,
              question,
              results.map((r) => ({ name: r.call.function.name, output: r.output })),
            ),
          ),
      ]);
    },
  ];
}

function code(m: RunMachine): Stage[] {
  let step: WireStep;
  let imageFileId = '';
  const out = codeInterpreter(m.seed, m.question);
  return [
    () => {
      m.setStatus('in_progress');
      step = m.createToolStep();
      m.addToolCalls(step, [{ id: m.newId('call'), type: 'code_interpreter', code_interpreter: { input: out.input, outputs: [] } }]);
    },
    () => {
      const bytes = 18_000 + (hashInt(m.seed, 'png', out.input) % 12_000);
      imageFileId = m.ctx.entities.createFile('values.png', bytes, 'assistants_output').id;
      const call = step.step_details.type === 'tool_calls' ? step.step_details.tool_calls[0] : undefined;
      if (call?.type === 'code_interpreter') {
        call.code_interpreter.outputs = [
          { type: 'logs', logs: out.logs },
          { type: 'image', image: { file_id: imageFileId } },
        ];
        m.toolCallDelta(step, 0, {
          type: 'code_interpreter',
          code_interpreter: {
            outputs: [
              { index: 0, type: 'logs', logs: out.logs },
              { index: 1, type: 'image', image: { file_id: imageFileId } },
            ],
          },
        });
      }
      m.finishStep(step, 'completed', 3 + tokens(out.input));
      m.scratch.push(out.input, out.logs);
      m.beginMessage();
    },
    () => m.finishWithMessage(out.answer, [], [{ type: 'image_file', image_file: { file_id: imageFileId } }]),
  ];
}

interface SearchHit {
  file_id: string;
  file_name: string;
  score: number;
  content: Array<{ type: 'text'; text: string }>;
}

/** Files of the vector stores the run can search (run, thread, assistant tool_resources). */
function searchableFiles(m: RunMachine): Array<{ id: string; name: string }> {
  const { store } = m.ctx;
  const vsIds = [
    ...(m.run.tool_resources.file_search?.vector_store_ids ?? []),
    ...(m.thread.thread.tool_resources?.file_search?.vector_store_ids ?? []),
    ...(m.assistant.tool_resources?.file_search?.vector_store_ids ?? []),
  ];
  const seen = new Set<string>();
  const files: Array<{ id: string; name: string }> = [];
  for (const vsId of vsIds) {
    for (const vf of store.vectorStoreFiles.get(vsId) ?? []) {
      if (seen.has(vf.id)) continue;
      seen.add(vf.id);
      files.push({ id: vf.id, name: store.files.get(vf.id)?.filename ?? vf.id });
    }
  }
  if (files.length === 0) {
    // Nothing attached: search a made-up knowledge base so the script still cites a (registered) file.
    const file = m.ctx.entities.createFile('knowledge-base.md', 4096, 'assistants');
    files.push({ id: file.id, name: file.filename });
  }
  return files;
}

function searchHits(m: RunMachine): SearchHit[] {
  const files = searchableFiles(m);
  const hits: SearchHit[] = [];
  for (let chunk = 0; chunk < 2 && hits.length < 4; chunk++) {
    for (const f of files) {
      if (hits.length >= 4) break;
      const rank = hits.length;
      hits.push({
        file_id: f.id,
        file_name: f.name,
        score: searchScore(m.seed, f.id, rank),
        content: [{ type: 'text', text: searchChunk(m.seed, m.question, f.name, chunk) }],
      });
    }
  }
  return hits;
}

function fileSearch(m: RunMachine): Stage[] {
  let step: WireStep;
  let hits: SearchHit[] = [];
  return [
    () => {
      m.setStatus('in_progress');
      step = m.createToolStep();
      hits = searchHits(m);
      const tool = m.run.tools.find((t) => t.type === 'file_search');
      const ranking = (tool?.type === 'file_search' ? tool.file_search?.ranking_options : undefined) ?? {
        ranker: 'default_2024_08_21' as const,
        score_threshold: 0.0,
      };
      const call: FileSearchToolCall = {
        id: m.newId('call'),
        type: 'file_search',
        file_search: {
          ranking_options: { ranker: ranking.ranker ?? 'default_2024_08_21', score_threshold: ranking.score_threshold },
          results: hits,
        },
      };
      m.addToolCalls(step, [call]);
    },
    () => {
      m.finishStep(step, 'completed', 3 + tokens(m.question));
      for (const h of hits) m.scratch.push(h.content[0]?.text ?? '');
      m.beginMessage();
    },
    () => {
      const { text, annotations } = citedAnswer(m, hits);
      m.finishWithMessage(text, annotations);
    },
  ];
}

/** An answer citing the first hit of each of (at most) two files, with real-style 【i:j†name】 markers. */
function citedAnswer(m: RunMachine, hits: SearchHit[]): { text: string; annotations: TextAnnotation[] } {
  const messageIndex = m.thread.messages.length;
  const cited: Array<{ hit: SearchHit; index: number }> = [];
  hits.forEach((hit, index) => {
    if (cited.length < 2 && !cited.some((c) => c.hit.file_id === hit.file_id)) cited.push({ hit, index });
  });
  let text = `According to the files, here is what they say about "${quote(m.question || 'your request')}".`;
  const annotations: TextAnnotation[] = [];
  for (const { hit, index } of cited) {
    text += ` ${hit.file_name} covers it in detail`;
    const marker = `【${messageIndex}:${index}†${hit.file_name}】`;
    annotations.push({
      type: 'file_citation',
      text: marker,
      start_index: text.length,
      end_index: text.length + marker.length,
      file_citation: { file_id: hit.file_id },
    });
    text += marker + '.';
  }
  return { text, annotations };
}
