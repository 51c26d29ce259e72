import { answerText, codeInterpreter, functionArguments, longAnswerText, quote, searchChunk, searchScore, toolAnswerText } from '../engine/generate';
import { hashInt } from '../engine/ids';
import { endsWithToolOutputs } from './choose-script';
import { isHandoffTool } from '../engine/directives';
import type { ResponseMachine } from './response-machine';
import type { ResponseScript } from '../options';
import type { Annotation, CodeInterpreterItem, FileSearchItem, FunctionCallItem, ImageGenerationItem, McpCallItem, McpListToolsItem, ReasoningItem, WebSearchItem } from './types';
import type { Stage } from '../engine/stage';
import { tokens } from '../engine/usage';

// The scripted behaviours of a response. Each script is a list of stages; every stage is one state a
// poller of a background response can see (queued → in_progress → tool items → the end).

type Body = Record<string, unknown>;

/** A 1×1 PNG: the "generated image" of the `image` script (tiny, valid, always the same). */
export const TINY_PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

function isObject(x: unknown): x is Body {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The stages of each script, by name. */
const RESPONSE_SCRIPT_STAGES: Record<ResponseScript, (m: ResponseMachine) => Stage[]> = {
  answer: (m) => [() => m.start(), () => m.finishWithMessage(answerFor(m))],
  function: (m) => functions(m, 1),
  parallel_functions: (m) => functions(m, 2),
  code,
  file_search: fileSearch,
  web_search: webSearch,
  reasoning,
  mcp,
  image,
  failed: (m) => [() => m.start(), () => m.fail()],
  incomplete: (m) => [() => m.start(), () => finishCut(m)],
  cancel: (m) => [
    () => m.start(),
    () => {
      m.openMessage();
      m.waitForCancel();
    },
  ],
};

export function responseScriptStages(m: ResponseMachine): Stage[] {
  return RESPONSE_SCRIPT_STAGES[m.script](m);
}

/** The `incomplete` script's answer: always cut, at max_output_tokens if set, else at 16 tokens. */
function finishCut(m: ResponseMachine): void {
  const text = longAnswerText(m.seed, m.question);
  m.finishWithMessage(text, [], Math.max(1, Math.min(m.response.max_output_tokens ?? 16, tokens(text) - 1)));
}

/** The text of the answer: JSON for a json_schema / json_object format, the tool results, or prose. */
function answerFor(m: ResponseMachine): string {
  const format = m.request.textFormat;
  const prose = proseAnswer(m);
  if (format['type'] === 'json_schema') return functionArguments(format['schema'], m.question, m.request.booleans);
  if (format['type'] === 'json_object') return JSON.stringify({ answer: prose });
  return prose;
}

function proseAnswer(m: ResponseMachine): string {
  if (!endsWithToolOutputs(m.inputItems)) return answerText(m.seed, m.question);
  const known = [...m.history, ...m.inputItems];
  // The outputs of the last round of calls (a whole-history input also holds earlier rounds').
  let first = m.inputItems.length;
  while (first > 0 && m.inputItems[first - 1]?.type === 'function_call_output') first--;
  const results = m.inputItems.slice(first).flatMap((item) => {
    if (item.type !== 'function_call_output') return [];
    const call = known.find((k) => k.type === 'function_call' && k.call_id === item.call_id);
    const name = call?.type === 'function_call' ? call.name : 'the function';
    return [{ name, output: typeof item.output === 'string' ? item.output : JSON.stringify(item.output) }];
  });
  return toolAnswerText(m.seed, m.question, results);
}

const FALLBACK_FUNCTION = {
  name: 'get_information',
  parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};

function pickFunctions(m: ResponseMachine, count: number): Array<{ name: string; parameters: unknown }> {
  const fns = m.request.tools.filter((t) => t['type'] === 'function').map((t) => ({ name: String(t['name']), parameters: t['parameters'] }));
  const chosen = m.request.calls;
  if (chosen) return chosen.map((name) => fns.find((f) => f.name === name) ?? { name, parameters: null });
  // Handoff tools (transfer_to_*) last: an explicit function script calls the agent's own tools.
  fns.sort((a, b) => Number(isHandoffTool(a.name)) - Number(isHandoffTool(b.name)));
  const choice = m.response.tool_choice as unknown;
  if (isObject(choice) && choice['type'] === 'function') {
    const i = fns.findIndex((f) => f.name === choice['name']);
    if (i > 0) fns.unshift(...fns.splice(i, 1));
  }
  if (fns.length === 0) fns.push(FALLBACK_FUNCTION);
  const first = fns[0] as { name: string; parameters: unknown };
  return Array.from({ length: count }, (_, i) => fns[i] ?? first);
}

function functions(m: ResponseMachine, count: number): Stage[] {
  const stages: Stage[] = [() => m.start()];
  // A reasoning model thinks before it calls (recorded: the reasoning item comes first).
  if (m.reasons) stages.push(() => addReasoning(m));
  stages.push(
    () => {
      for (const fn of pickFunctions(m, count)) {
        const args = functionArguments(fn.parameters, m.question, m.request.booleans);
        const item: FunctionCallItem = { id: m.newId('fc_'), type: 'function_call', status: 'in_progress', arguments: '', call_id: m.callId(), name: fn.name };
        const index = m.addItem(item);
        m.deltas('response.function_call_arguments.delta', index, args);
        item.arguments = args;
        m.log({ type: 'response.function_call_arguments.done', item_id: item.id, output_index: index, name: fn.name, arguments: args });
        m.countOutput(fn.name + args);
        m.doneItem(index);
      }
    },
    () => m.complete(),
  );
  return stages;
}

function code(m: ResponseMachine): Stage[] {
  const out = codeInterpreter(m.seed, m.question);
  return [
    () => m.start(),
    () => {
      const tool = m.request.tools.find((t) => t['type'] === 'code_interpreter');
      const container = tool?.['container'];
      const item: CodeInterpreterItem = {
        id: m.newId('ci_'),
        type: 'code_interpreter_call',
        status: 'in_progress',
        code: '',
        container_id: typeof container === 'string' ? container : m.newId('cntr_'),
        outputs: null,
      };
      const index = m.addItem(item);
      m.progress('response.code_interpreter_call.in_progress', index);
      m.deltas('response.code_interpreter_call_code.delta', index, out.input);
      item.code = out.input;
      m.progress('response.code_interpreter_call_code.done', index, { code: out.input });
      item.status = 'interpreting';
      m.progress('response.code_interpreter_call.interpreting', index);
      // The outputs are only returned when asked for (include code_interpreter_call.outputs).
      if (m.include.includes('code_interpreter_call.outputs')) item.outputs = [{ type: 'logs', logs: out.logs }];
      m.progress('response.code_interpreter_call.completed', index);
      m.countOutput(out.input);
      m.doneItem(index);
    },
    () => m.finishWithMessage(out.answer),
  ];
}

interface Hit {
  file_id: string;
  filename: string;
  score: number;
  text: string;
}

/** Files of the vector stores named by the file_search tool (a made-up one when there are none). */
function searchFiles(m: ResponseMachine): Array<{ id: string; name: string }> {
  const { store, entities } = m.ctx;
  const tool = m.request.tools.find((t) => t['type'] === 'file_search');
  const vsIds = Array.isArray(tool?.['vector_store_ids']) ? (tool['vector_store_ids'] as unknown[]).map(String) : [];
  const files: Array<{ id: string; name: string }> = [];
  for (const vsId of vsIds) {
    for (const vf of store.vectorStoreFiles.get(vsId) ?? []) {
      if (!files.some((f) => f.id === vf.id)) files.push({ id: vf.id, name: store.files.get(vf.id)?.filename ?? vf.id });
    }
  }
  if (files.length === 0) {
    const file = entities.createFile('knowledge-base.md', 4096, 'assistants');
    files.push({ id: file.id, name: file.filename });
  }
  return files;
}

function fileSearch(m: ResponseMachine): Stage[] {
  const hits: Hit[] = [];
  return [
    () => m.start(),
    () => {
      const files = searchFiles(m);
      for (let chunk = 0; chunk < 2 && hits.length < 4; chunk++) {
        for (const f of files) {
          if (hits.length >= 4) break;
          hits.push({ file_id: f.id, filename: f.name, score: searchScore(m.seed, f.id, hits.length), text: searchChunk(m.seed, m.question, f.name, chunk) });
        }
      }
      const item: FileSearchItem = { id: m.newId('fs_'), type: 'file_search_call', status: 'in_progress', queries: [], results: null };
      const index = m.addItem(item);
      m.progress('response.file_search_call.in_progress', index);
      item.status = 'searching';
      item.queries = [quote(m.question || 'relevant information', 100)];
      m.progress('response.file_search_call.searching', index);
      m.progress('response.file_search_call.completed', index);
      // Result contents are only returned when asked for (include file_search_call.results).
      if (m.include.includes('file_search_call.results')) {
        item.results = hits.map((h) => ({ attributes: {}, file_id: h.file_id, filename: h.filename, score: h.score, text: h.text }));
      }
      m.countOutput(item.queries.join(' '));
      m.doneItem(index);
    },
    () => {
      let text = `According to the files, here is what they say about "${quote(m.question || 'your request')}".`;
      const annotations: Annotation[] = [];
      const cited = hits.filter((h, i) => hits.findIndex((x) => x.file_id === h.file_id) === i).slice(0, 2);
      for (const hit of cited) {
        text += ` ${hit.filename} covers it in detail.`;
        annotations.push({ type: 'file_citation', file_id: hit.file_id, filename: hit.filename, index: text.length });
      }
      m.finishWithMessage(text, annotations);
    },
  ];
}

const SITES = [
  { domain: 'en.wikipedia.org', path: 'wiki', title: 'Wikipedia' },
  { domain: 'www.britannica.com', path: 'topic', title: 'Britannica' },
  { domain: 'www.reuters.com', path: 'world', title: 'Reuters' },
  { domain: 'www.bbc.com', path: 'news', title: 'BBC News' },
];

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'search'
  );
}

function webSearch(m: ResponseMachine): Stage[] {
  const query = quote(m.question || 'latest news', 100);
  const first = hashInt(m.seed, 'site', query) % SITES.length;
  const sites = [SITES[first], SITES[(first + 1) % SITES.length]] as typeof SITES;
  const urls = sites.map((s) => ({ ...s, url: `https://${s.domain}/${s.path}/${slug(query)}?utm_source=openai` }));
  return [
    () => m.start(),
    () => {
      const item: WebSearchItem = { id: m.newId('ws_'), type: 'web_search_call', status: 'in_progress', action: { type: 'search', query } };
      const index = m.addItem(item);
      m.progress('response.web_search_call.in_progress', index);
      item.status = 'searching';
      m.progress('response.web_search_call.searching', index);
      m.progress('response.web_search_call.completed', index);
      if (item.action.type === 'search' && m.include.includes('web_search_call.action.sources')) {
        item.action.sources = urls.map((u) => ({ type: 'url', url: u.url }));
      }
      m.countOutput(query);
      m.doneItem(index);
    },
    () => {
      let text = `Here is what recent sources say about "${quote(m.question || 'your question')}".`;
      const annotations: Annotation[] = [];
      for (const u of urls) {
        text += ` ${u.title} covers the main points `;
        const link = `([${u.domain.replace(/^www\./, '')}](${u.url}))`;
        annotations.push({ type: 'url_citation', start_index: text.length, end_index: text.length + link.length, title: `${quote(m.question || 'Search', 50)} - ${u.title}`, url: u.url });
        text += link + '.';
      }
      m.finishWithMessage(text, annotations);
    },
  ];
}

function reasoning(m: ResponseMachine): Stage[] {
  return [() => m.start(), () => addReasoning(m), () => m.finishWithMessage(answerFor(m))];
}

/** A reasoning item: summary parts when `reasoning.summary` was asked for; hidden reasoning tokens. */
function addReasoning(m: ResponseMachine): void {
  const id = m.newId('rs_');
  // The API's field order: id, type, encrypted_content (only when included), summary.
  const encrypted = m.include.includes('reasoning.encrypted_content') ? { encrypted_content: encryptedReasoning(m, id) } : {};
  const item: ReasoningItem = { id, type: 'reasoning', ...encrypted, summary: [] };
  const index = m.addItem(item);
  const wantsSummary = m.response.reasoning.summary !== null;
  const topic = quote(m.question || 'the request', 60);
  const parts = wantsSummary
    ? [
        `**Understanding the question**\n\nThe user asks about "${topic}". I should restate it and note what is known.`,
        `**Planning the answer**\n\nI will work through each part, check the result, and keep the answer short.`,
      ]
    : [];
  parts.forEach((text, summaryIndex) => {
    const part = { type: 'summary_text' as const, text: '' };
    m.log({ type: 'response.reasoning_summary_part.added', item_id: item.id, output_index: index, summary_index: summaryIndex, part: { ...part } });
    m.deltas('response.reasoning_summary_text.delta', index, text, { summary_index: summaryIndex });
    m.log({ type: 'response.reasoning_summary_text.done', item_id: item.id, output_index: index, summary_index: summaryIndex, text });
    part.text = text;
    item.summary.push(part);
    m.log({ type: 'response.reasoning_summary_part.done', item_id: item.id, output_index: index, summary_index: summaryIndex, part: { ...part } });
  });
  // Hidden reasoning: a multiple of 64 tokens, plus the summary's own.
  m.reasoningTokens += 64 * (1 + (hashInt(m.seed, 'reasoning', m.question) % 5)) + tokens(parts.join(''));
  m.doneItem(index);
}

/** An opaque, seeded stand-in for the encrypted reasoning a stateless (store: false) client passes back. */
function encryptedReasoning(m: ResponseMachine, itemId: string): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let out = 'gAAAAA';
  for (let i = 0; i < 120; i++) out += chars[hashInt(m.seed, 'enc', itemId, i) % chars.length];
  return out;
}

function mcp(m: ResponseMachine): Stage[] {
  const tool = m.request.tools.find((t) => t['type'] === 'mcp') ?? {};
  const serverLabel = typeof tool['server_label'] === 'string' ? tool['server_label'] : 'emulated_mcp';
  const allowed = Array.isArray(tool['allowed_tools']) ? (tool['allowed_tools'] as unknown[]).map(String) : [];
  const name = allowed[0] ?? 'search';
  const args = JSON.stringify({ query: quote(m.question || 'example query', 100) });
  const output = `Found 2 results for ${quote(m.question || 'the query', 60)}: the overview page and the reference page.`;
  return [
    () => m.start(),
    () => {
      const list: McpListToolsItem = { id: m.newId('mcpl_'), type: 'mcp_list_tools', server_label: serverLabel, tools: [] };
      const li = m.addItem(list);
      m.progress('response.mcp_list_tools.in_progress', li);
      list.tools = [
        {
          name,
          description: `Searches ${serverLabel}.`,
          input_schema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
          annotations: { read_only: true },
        },
      ];
      list.error = null;
      m.progress('response.mcp_list_tools.completed', li);
      m.doneItem(li);
      const call: McpCallItem = {
        id: m.newId('mcp_'),
        type: 'mcp_call',
        status: 'in_progress',
        approval_request_id: null,
        arguments: '',
        error: null,
        name,
        output: null,
        server_label: serverLabel,
      };
      const ci = m.addItem(call);
      m.progress('response.mcp_call.in_progress', ci);
      m.deltas('response.mcp_call_arguments.delta', ci, args);
      call.arguments = args;
      m.progress('response.mcp_call_arguments.done', ci, { arguments: args });
      call.output = output;
      m.progress('response.mcp_call.completed', ci);
      m.countOutput(name + args);
      m.doneItem(ci);
    },
    () => m.finishWithMessage(`I asked ${serverLabel} (${name}). ${output}`),
  ];
}

function image(m: ResponseMachine): Stage[] {
  return [
    () => m.start(),
    () => {
      const item: ImageGenerationItem = { id: m.newId('ig_'), type: 'image_generation_call', status: 'in_progress', result: null };
      const index = m.addItem(item);
      m.progress('response.image_generation_call.in_progress', index);
      item.status = 'generating';
      m.progress('response.image_generation_call.generating', index);
      item.result = TINY_PNG_BASE64;
      m.progress('response.image_generation_call.completed', index);
      m.doneItem(index);
    },
    () => m.finishWithMessage(`Here is the image of "${quote(m.question || 'your request', 60)}" you asked for.`),
  ];
}
