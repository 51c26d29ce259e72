import { BoundedMap } from '../util/bounded-map';
import type { ContentPolicy } from '../trace/content';
import { arr, messageText, num, obj, str, type Obj } from '../util/json';

/** A thread message as the instrumentation remembers it (text capped, so memory stays bounded). */
export interface HistoryMessage {
  id?: string;
  role: string;
  text: string;
  createdAt: number;
  runId?: string;
}

export interface ThreadState {
  threadId: string;
  /** The latest messages seen on the thread, oldest first (what a model run would see). */
  history: HistoryMessage[];
  /**
   * Ids of the messages in `history`, made once it holds more than ID_SET_MIN (a shorter history is
   * scanned: cheaper than a Set per thread), and how many have none yet (request-body messages).
   */
  historyIds?: Set<string>;
  unidentified: number;
  vectorStoreIds: string[];
  /** User messages added since the thread's previous run: what its next run answers. */
  pendingUser: HistoryMessage[];
  /** User messages added to the thread in this process, over its lifetime. */
  userMessageCount: number;
  runCount: number;
  costNanos: number;
}

interface AssistantInfo {
  id: string;
  name?: string;
  description?: string;
  model?: string;
  vectorStoreIds: string[];
}

const HISTORY_LIMIT = 64;
/** Histories up to this long are scanned for a message id instead of keeping an id Set (~150 B a thread). */
const ID_SET_MIN = 16;

function historyHas(t: ThreadState, id: string): boolean {
  if (t.historyIds) return t.historyIds.has(id);
  for (const h of t.history) if (h.id === id) return true;
  return false;
}

/** Threads, assistants and message texts seen in this process, each in a bounded map. */
export class ConversationStore {
  readonly threads: BoundedMap<string, ThreadState>;
  readonly assistants: BoundedMap<string, AssistantInfo>;
  readonly messages: BoundedMap<string, HistoryMessage>;
  /** The app has listed a thread's messages (so it likely does so after its runs too). */
  appListsMessages = false;
  /** Callbacks waiting for a message's text to be recorded (see whenTexts). */
  private readonly textWaiters = new Map<string, Set<() => void>>();

  constructor(
    max: number,
    private readonly content: ContentPolicy,
  ) {
    // An evicted thread takes its history's messages along (else they outlive it in `messages`, up to 4x max).
    this.threads = new BoundedMap(max, (_id, t) => {
      for (const h of t.history) if (h.id && this.messages.peek(h.id) === h) this.messages.delete(h.id);
    });
    this.assistants = new BoundedMap(max);
    this.messages = new BoundedMap(max * 4);
  }

  thread(threadId: string): ThreadState {
    let t = this.threads.get(threadId);
    if (!t) {
      t = { threadId, history: [], unidentified: 0, vectorStoreIds: [], pendingUser: [], userMessageCount: 0, runCount: 0, costNanos: 0 };
      this.threads.set(threadId, t);
    }
    return t;
  }

  /**
   * Records an API message object (create response, list page item, retrieve, run output). `created`:
   * the app just added it (a messages.create response), so a user message counts for the next run.
   */
  recordMessage(m: Obj | undefined, fallbackThreadId?: string, created = false): void {
    if (!m) return;
    const threadId = str(m.thread_id) ?? fallbackThreadId;
    const role = str(m.role) ?? 'user';
    const text = messageText(m.content);
    if (!threadId || text === undefined) return;
    this.addToHistory(
      threadId,
      {
        id: str(m.id),
        role,
        text: this.content.enabled ? this.content.cap(text) : '',
        createdAt: num(m.created_at) ?? Date.now() / 1000,
        runId: str(m.run_id),
      },
      created,
    );
  }

  /**
   * Resolves true once every message id has its text recorded (the app read the messages), or false
   * after `ms`. The timer is not unref'd: flush() waits on this, and the wait is short.
   */
  whenTexts(ids: string[], ms: number): Promise<boolean> {
    const known = (): boolean => ids.every((id) => !!this.messages.peek(id)?.text);
    if (known()) return Promise.resolve(true);
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const check = (): void => {
        if (known()) settle(true);
      };
      const settle = (ok: boolean): void => {
        clearTimeout(timer);
        for (const id of ids) {
          const set = this.textWaiters.get(id);
          set?.delete(check);
          if (set?.size === 0) this.textWaiters.delete(id);
        }
        resolve(ok);
      };
      const timer = setTimeout(() => settle(false), ms);
      for (const id of ids) {
        let set = this.textWaiters.get(id);
        if (!set) this.textWaiters.set(id, (set = new Set()));
        set.add(check);
      }
    });
  }

  /** A page of the app's messages list. */
  recordMessageList(data: unknown, threadId?: string): void {
    this.appListsMessages = true;
    for (const m of arr(data)) this.recordMessage(obj(m), threadId);
  }

  /** Messages given in a request body (thread.messages, additional_messages), not yet with ids. */
  recordRequestMessages(threadId: string, messages: unknown): void {
    for (const raw of arr(messages)) {
      const m = obj(raw);
      const text = messageText(m?.content);
      if (!m || text === undefined) continue;
      this.addToHistory(threadId, { role: str(m.role) ?? 'user', text: this.content.enabled ? this.content.cap(text) : '', createdAt: Date.now() / 1000 }, true);
    }
  }

  recordAssistant(a: Obj | undefined): AssistantInfo | undefined {
    const id = str(a?.id);
    if (!a || !id) return undefined;
    const info: AssistantInfo = {
      id,
      name: str(a.name),
      description: str(a.description),
      model: str(a.model),
      vectorStoreIds: vectorStoreIds(a.tool_resources),
    };
    this.assistants.set(id, info);
    return info;
  }

  recordThreadResources(threadId: string, toolResources: unknown): void {
    const ids = vectorStoreIds(toolResources);
    if (ids.length) this.thread(threadId).vectorStoreIds = ids;
  }

  private addToHistory(threadId: string, msg: HistoryMessage, created: boolean): void {
    const t = this.thread(threadId);
    // The searches below run only when they can find something: a message id already in the history, or
    // an id-less request-body message waiting for its echo. A newly created message (the usual case)
    // skips them.
    const known = msg.id !== undefined && historyHas(t, msg.id);
    if (created && msg.role === 'user' && !(known && t.pendingUser.some((p) => p.id === msg.id))) {
      t.pendingUser.push(msg);
      t.userMessageCount++;
      if (t.pendingUser.length > HISTORY_LIMIT) t.pendingUser.shift();
    }
    if (msg.id) {
      this.messages.set(msg.id, msg);
      const waiters = this.textWaiters.get(msg.id);
      if (waiters) for (const notify of [...waiters]) notify();
      if (known) {
        const i = t.history.findIndex((h) => h.id === msg.id);
        if (i >= 0) {
          t.history[i] = msg;
          return;
        }
      }
      // A request-body message (no id yet) that the API has now echoed back with an id.
      if (t.unidentified > 0) {
        const j = t.history.findIndex((h) => !h.id && h.role === msg.role && h.text === msg.text);
        if (j >= 0) {
          t.history.splice(j, 1);
          t.unidentified--;
        }
      }
    }
    let at = t.history.length;
    while (at > 0 && (t.history[at - 1] as HistoryMessage).createdAt > msg.createdAt) at--;
    // A thread's first message gets an array of its own size (a push or splice would reserve 17 slots).
    if (t.history.length === 0) t.history = [msg];
    else t.history.splice(at, 0, msg);
    if (!msg.id) t.unidentified++;
    else if (t.historyIds) t.historyIds.add(msg.id);
    else if (t.history.length > ID_SET_MIN) t.historyIds = new Set(t.history.flatMap((h) => (h.id ? [h.id] : [])));
    if (t.history.length > HISTORY_LIMIT) {
      for (const old of t.history.splice(0, t.history.length - HISTORY_LIMIT)) {
        if (old.id) t.historyIds?.delete(old.id);
        else t.unidentified--;
      }
    }
  }
}

function vectorStoreIds(toolResources: unknown): string[] {
  return arr(obj(obj(toolResources)?.file_search)?.vector_store_ids).filter((v): v is string => typeof v === 'string');
}
