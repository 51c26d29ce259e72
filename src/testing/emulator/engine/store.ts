import { notFound } from './errors';
import type { IdFactory, IdKind } from './ids';
import type { WireAssistant, WireFile, WireMessage, WireRun, WireStep, WireThread, WireVectorStore, WireVectorStoreFile } from './types';

/** Whole unix seconds, like every timestamp of the real API. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export interface ThreadRecord {
  thread: WireThread;
  /** Oldest first. */
  messages: WireMessage[];
  /** Run ids, oldest first. */
  runIds: string[];
}

/** All entities of one emulator. Lists are kept oldest first; the list endpoints reverse them for desc. */
export class Store {
  readonly assistants = new Map<string, WireAssistant>();
  readonly threads = new Map<string, ThreadRecord>();
  readonly runs = new Map<string, WireRun>();
  /** Steps per run id, oldest first. */
  readonly steps = new Map<string, WireStep[]>();
  readonly vectorStores = new Map<string, WireVectorStore>();
  readonly vectorStoreFiles = new Map<string, WireVectorStoreFile[]>();
  readonly files = new Map<string, WireFile>();

  constructor(private readonly ids: IdFactory) {}

  newId(kind: IdKind): string {
    return this.ids.id(kind);
  }

  clear(): void {
    this.assistants.clear();
    this.threads.clear();
    this.runs.clear();
    this.steps.clear();
    this.vectorStores.clear();
    this.vectorStoreFiles.clear();
    this.files.clear();
  }

  assistant(id: string): WireAssistant {
    const a = this.assistants.get(id);
    if (!a) throw notFound('assistant', id);
    return a;
  }

  thread(id: string): ThreadRecord {
    const t = this.threads.get(id);
    if (!t) throw notFound('thread', id);
    return t;
  }

  message(threadId: string, id: string): WireMessage {
    const m = this.thread(threadId).messages.find((x) => x.id === id);
    if (!m) throw notFound('message', id);
    return m;
  }

  run(threadId: string, id: string): WireRun {
    this.thread(threadId);
    const r = this.runs.get(id);
    if (!r || r.thread_id !== threadId) throw notFound('run', id);
    return r;
  }

  runSteps(runId: string): WireStep[] {
    let list = this.steps.get(runId);
    if (!list) {
      list = [];
      this.steps.set(runId, list);
    }
    return list;
  }

  step(threadId: string, runId: string, id: string): WireStep {
    this.run(threadId, runId);
    const s = this.runSteps(runId).find((x) => x.id === id);
    if (!s) throw notFound('run step', id);
    return s;
  }

  vectorStore(id: string): WireVectorStore {
    const v = this.vectorStores.get(id);
    if (!v) throw notFound('vector store', id);
    return v;
  }

  file(id: string): WireFile {
    const f = this.files.get(id);
    if (!f) throw notFound('file', id);
    return f;
  }

  /** The run of the thread that is not in a terminal status, if any. */
  activeRun(threadId: string): WireRun | undefined {
    const rec = this.threads.get(threadId);
    if (!rec) return undefined;
    for (const id of rec.runIds) {
      const r = this.runs.get(id);
      if (r && !isTerminal(r.status)) return r;
    }
    return undefined;
  }
}

export function isTerminal(status: WireRun['status']): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled' || status === 'expired' || status === 'incomplete';
}
