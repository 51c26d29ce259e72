import { badRequest, invalidType, invalidValue, missingParam } from './errors';
import { nowSeconds, type Store, type ThreadRecord } from './store';
import type { AssistantTool, MessageContent, ToolResources, WireAssistant, WireFile, WireMessage, WireVectorStore, WireVectorStoreFile } from './types';
import * as v from './validate';

// Builders of the plain entities (assistants, threads, messages, vector stores, files) with the field
// set the recorded real API returns.

type FilePurpose = WireFile['purpose'];

export class Entities {
  constructor(private readonly store: Store) {}

  // ---- assistants ------------------------------------------------------------------------------

  createAssistant(body: v.Body): WireAssistant {
    const model = v.requiredString(body, 'model');
    const tools = v.tools(body) ?? [];
    const assistant: WireAssistant = {
      id: this.store.newId('asst'),
      object: 'assistant',
      created_at: nowSeconds(),
      name: v.optionalString(body, 'name') ?? null,
      description: v.optionalString(body, 'description') ?? null,
      model,
      instructions: v.optionalString(body, 'instructions') ?? null,
      tools,
      top_p: v.optionalNumber(body, 'top_p', 0, 1) ?? 1.0,
      temperature: v.optionalNumber(body, 'temperature', 0, 2) ?? 1.0,
      reasoning_effort: v.optionalString(body, 'reasoning_effort') ?? null,
      tool_resources: defaultResources(
        tools,
        v.toolResources(body, 'tool_resources', (ids) => this.inlineStore(ids)),
      ),
      metadata: v.metadata(body) ?? {},
      response_format: (body['response_format'] as WireAssistant['response_format']) ?? 'auto',
    };
    this.store.assistants.set(assistant.id, assistant);
    return assistant;
  }

  updateAssistant(assistant: WireAssistant, body: v.Body): WireAssistant {
    if (v.has(body, 'model')) assistant.model = v.requiredString(body, 'model');
    if (v.has(body, 'name')) assistant.name = v.optionalString(body, 'name') ?? null;
    if (v.has(body, 'description')) assistant.description = v.optionalString(body, 'description') ?? null;
    if (v.has(body, 'instructions')) assistant.instructions = v.optionalString(body, 'instructions') ?? null;
    if (v.has(body, 'tools')) assistant.tools = v.tools(body) ?? [];
    if (v.has(body, 'top_p')) assistant.top_p = v.optionalNumber(body, 'top_p', 0, 1) ?? 1.0;
    if (v.has(body, 'temperature')) assistant.temperature = v.optionalNumber(body, 'temperature', 0, 2) ?? 1.0;
    if (v.has(body, 'reasoning_effort')) assistant.reasoning_effort = v.optionalString(body, 'reasoning_effort') ?? null;
    if (v.has(body, 'response_format')) assistant.response_format = body['response_format'] as WireAssistant['response_format'];
    if (v.has(body, 'metadata')) assistant.metadata = v.metadata(body) ?? {};
    if (v.has(body, 'tool_resources') || v.has(body, 'tools')) {
      const given = v.has(body, 'tool_resources') ? v.toolResources(body, 'tool_resources', (ids) => this.inlineStore(ids)) : (assistant.tool_resources ?? undefined);
      assistant.tool_resources = defaultResources(assistant.tools, given ?? undefined);
    }
    return assistant;
  }

  // ---- threads and messages ----------------------------------------------------------------------

  createThread(body: v.Body): ThreadRecord {
    const messages = v.optionalArray(body, 'messages') ?? [];
    const meta = v.metadata(body) ?? {};
    const resources = v.toolResources(body, 'tool_resources', (ids) => this.inlineStore(ids)) ?? {};
    // Validate every message before creating anything.
    const parsed = messages.map((m, i) => this.parseMessage(m, `messages[${i}]`));
    const rec: ThreadRecord = {
      thread: { id: this.store.newId('thread'), object: 'thread', created_at: nowSeconds(), metadata: meta, tool_resources: resources },
      messages: [],
      runIds: [],
    };
    this.store.threads.set(rec.thread.id, rec);
    for (const p of parsed) this.pushMessage(rec, p);
    return rec;
  }

  updateThread(rec: ThreadRecord, body: v.Body): void {
    if (v.has(body, 'metadata')) rec.thread.metadata = v.metadata(body) ?? {};
    if (v.has(body, 'tool_resources')) {
      rec.thread.tool_resources = v.toolResources(body, 'tool_resources', (ids) => this.inlineStore(ids)) ?? {};
    }
  }

  /** Validates a message-create body (also used for `thread.messages` and `additional_messages`). */
  parseMessage(raw: unknown, param = ''): ParsedMessage {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidType(param || 'body', 'an object', raw);
    const body = raw as v.Body;
    const p = (k: string) => (param ? `${param}.${k}` : k);
    const roleValue = body['role'];
    if (roleValue === undefined || roleValue === null) throw missingParam(p('role'));
    if (roleValue !== 'user' && roleValue !== 'assistant') {
      throw invalidValue(p('role'), `Invalid value: '${String(roleValue)}'. Supported values are: 'user' and 'assistant'.`);
    }
    const content = parseContent(body['content'], p('content'));
    const attachments = v.optionalArray(body, 'attachments') ?? [];
    return {
      role: roleValue,
      content,
      attachments: attachments as WireMessage['attachments'],
      metadata: v.metadata(body) ?? {},
    };
  }

  pushMessage(rec: ThreadRecord, parsed: ParsedMessage): WireMessage {
    const now = nowSeconds();
    const message: WireMessage = {
      id: this.store.newId('msg'),
      object: 'thread.message',
      created_at: now,
      assistant_id: null,
      thread_id: rec.thread.id,
      run_id: null,
      status: 'completed',
      incomplete_details: null,
      incomplete_at: null,
      completed_at: now,
      role: parsed.role,
      content: parsed.content,
      attachments: parsed.attachments,
      metadata: parsed.metadata,
    };
    rec.messages.push(message);
    return message;
  }

  // ---- vector stores and files -------------------------------------------------------------------

  createVectorStore(body: v.Body): WireVectorStore {
    const now = nowSeconds();
    const fileIds = (v.optionalArray(body, 'file_ids') ?? []).map((x) => String(x));
    for (const id of fileIds) this.store.file(id);
    const expiresAfter = v.optionalObject(body, 'expires_after');
    const vs: WireVectorStore = {
      id: this.store.newId('vs'),
      object: 'vector_store',
      name: v.optionalString(body, 'name') ?? null,
      status: 'completed',
      usage_bytes: 0,
      created_at: now,
      file_counts: { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 },
      metadata: v.metadata(body) ?? {},
      expires_after: (expiresAfter as WireVectorStore['expires_after']) ?? null,
      expires_at: null,
      last_active_at: now,
    };
    this.store.vectorStores.set(vs.id, vs);
    this.store.vectorStoreFiles.set(vs.id, []);
    for (const id of fileIds) this.attachFile(vs, id);
    return vs;
  }

  attachFile(vs: WireVectorStore, fileId: string): WireVectorStoreFile {
    const file = this.store.file(fileId);
    const list = this.store.vectorStoreFiles.get(vs.id) ?? [];
    this.store.vectorStoreFiles.set(vs.id, list);
    const existing = list.find((f) => f.id === fileId);
    if (existing) return existing;
    const vsFile: WireVectorStoreFile = {
      id: file.id,
      object: 'vector_store.file',
      usage_bytes: file.bytes,
      created_at: nowSeconds(),
      vector_store_id: vs.id,
      status: 'completed',
      last_error: null,
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } },
    };
    list.push(vsFile);
    vs.file_counts.completed += 1;
    vs.file_counts.total += 1;
    vs.usage_bytes += file.bytes;
    vs.last_active_at = nowSeconds();
    return vsFile;
  }

  createFile(filename: string, bytes: number, purpose: string): WireFile {
    const file: WireFile = {
      id: this.store.newId('file'),
      object: 'file',
      bytes,
      created_at: nowSeconds(),
      filename,
      purpose: purpose as FilePurpose,
      status: 'processed',
      status_details: null,
      expires_at: null,
    };
    this.store.files.set(file.id, file);
    return file;
  }

  private inlineStore(fileIds: string[]): string {
    return this.createVectorStore({ file_ids: fileIds }).id;
  }
}

export interface ParsedMessage {
  role: 'user' | 'assistant';
  content: MessageContent[];
  attachments: WireMessage['attachments'];
  metadata: Record<string, string>;
}

/** The resources the real API fills in for the assistant's tools when none were given. */
function defaultResources(tools: readonly AssistantTool[], given: ToolResources | undefined): ToolResources {
  const out: ToolResources = { ...(given ?? {}) };
  if (tools.some((t) => t.type === 'code_interpreter') && !out.code_interpreter) out.code_interpreter = { file_ids: [] };
  if (tools.some((t) => t.type === 'file_search') && !out.file_search) out.file_search = { vector_store_ids: [] };
  return out;
}

function parseContent(raw: unknown, param: string): MessageContent[] {
  if (raw === undefined || raw === null) throw missingParam(param);
  if (typeof raw === 'string') return [{ type: 'text', text: { value: raw, annotations: [] } }];
  if (!Array.isArray(raw)) throw invalidType(param, 'a string or an array', raw);
  if (raw.length === 0) throw badRequest(`Invalid '${param}': empty array. Expected an array with minimum length 1, but got an empty array instead.`, param, 'empty_array');
  return raw.map((part, i): MessageContent => {
    const pp = `${param}[${i}]`;
    if (typeof part !== 'object' || part === null) throw invalidType(pp, 'an object', part);
    const p = part as v.Body;
    switch (p['type']) {
      case 'text': {
        const text = p['text'];
        if (typeof text !== 'string') throw invalidType(`${pp}.text`, 'a string', text);
        return { type: 'text', text: { value: text, annotations: [] } };
      }
      case 'image_file': {
        const img = v.optionalObject(p, 'image_file');
        if (!img || typeof img['file_id'] !== 'string') throw missingParam(`${pp}.image_file.file_id`);
        return { type: 'image_file', image_file: img as { file_id: string } };
      }
      case 'image_url': {
        const img = v.optionalObject(p, 'image_url');
        if (!img || typeof img['url'] !== 'string') throw missingParam(`${pp}.image_url.url`);
        return { type: 'image_url', image_url: img as { url: string } };
      }
      default:
        throw invalidValue(`${pp}.type`, `Invalid value: '${String(p['type'])}'. Supported values are: 'text', 'image_file', and 'image_url'.`);
    }
  });
}
