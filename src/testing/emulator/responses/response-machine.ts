import { badRequest } from '../engine/errors';
import { tokenPieces, truncateToTokens } from '../engine/generate';
import { hashInt } from '../engine/ids';
import { clone, StageQueue, type Stage } from '../engine/stage';
import { nowSeconds } from '../engine/store';
import { tokens } from '../engine/usage';
import type { ResponseScript } from '../options';
import { itemTokens, PER_REQUEST_OVERHEAD, type ConversationRecord, type ResponseContext } from './context';
import type { Annotation, OutputItem, OutputMessage, ResponseEvent, ResponseEventBody, StoredItem, WireResponse } from './types';

// The Responses API state machine, built like the run engine: a script (responses-scripts.ts) is a
// list of stages; each stage changes the response and logs every change as the stream event the real
// API sends for it (response.output_item.added, response.output_text.delta, …), stamped with its
// `sequence_number` (its index in the log). A streamed request writes the log as SSE while it runs the
// stages; a background response runs one stage per `pollsPerStatus` GET retrieves; any other request
// runs them all before answering. A GET with `stream=true` replays the log (from `starting_after`).

/** Random-looking padding the real stream adds to deltas (`obfuscation`), here seeded. */
function obfuscation(seed: number, itemId: string, n: number, delta: string): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const len = Math.max(2, 16 - delta.length);
  let out = '';
  for (let i = 0; i < len; i++) out += chars[hashInt(seed, 'obf', itemId, n, i) % chars.length];
  return out;
}

export const SERVER_ERROR_MESSAGE = 'An error occurred while processing your request. You can retry your request, or contact us through our help center at help.openai.com if the error persists.';

export class ResponseMachine {
  readonly events: ResponseEvent[] = [];
  private readonly stages = new StageQueue();
  private waitingForCancel = false;
  private readonly listeners = new Set<() => void>();
  /** Output tokens generated so far (texts, arguments, code, queries, reasoning). */
  private outputTokens = 0;
  reasoningTokens = 0;
  streamOwner: object | null = null;
  /** Set once the items went into the conversation (they go in once, when the response ends). */
  private appended = false;

  constructor(
    readonly ctx: ResponseContext,
    readonly response: WireResponse,
    /** The items this request sent, as stored (ids given). */
    readonly inputItems: StoredItem[],
    /** Everything before this request: the previous_response_id chain or the conversation's items. */
    readonly history: StoredItem[],
    readonly conversation: ConversationRecord | null,
    readonly script: ResponseScript,
    readonly include: readonly string[],
    /**
     * The request body's tools as sent (the scripts read vector store ids, containers, servers), the
     * functions a function script calls (null: its own choice) and the booleans of generated JSON.
     */
    readonly request: { tools: Array<Record<string, unknown>>; textFormat: Record<string, unknown>; question: string; calls: string[] | null; booleans: boolean },
  ) {
    this.lifecycle('response.created');
    if (response.background) this.lifecycle('response.queued');
  }

  /** Sets the script's stages (built by `responses/scripts.ts`, which drives this machine). */
  load(stages: Stage[]): void {
    this.stages.load(stages);
  }

  get seed(): number {
    return this.ctx.seed;
  }

  get question(): string {
    return this.request.question;
  }

  /** Whether the request makes the model reason (see `reasons` in choose-script.ts). */
  get reasons(): boolean {
    const { effort, summary } = this.response.reasoning;
    return effort !== 'none' && Boolean(effort || summary);
  }

  get streaming(): boolean {
    return this.streamOwner !== null;
  }

  get awaitingCancel(): boolean {
    return this.waitingForCancel;
  }

  get ended(): boolean {
    const s = this.response.status;
    return s === 'completed' || s === 'failed' || s === 'incomplete' || s === 'cancelled';
  }

  // ---- driving -------------------------------------------------------------------------------------

  /** A GET retrieve of a background response: shows each stage `pollsPerStatus` times, then advances. */
  poll(): void {
    if (this.ended || this.waitingForCancel || this.streaming) return;
    this.stages.poll(this.ctx.pollsPerStatus, () => this.drain());
  }

  drain(): void {
    while (!this.ended && !this.waitingForCancel && !this.stages.empty) this.stages.advance();
  }

  step(): boolean {
    if (this.ended || this.waitingForCancel || this.stages.empty) return false;
    this.stages.advance();
    return true;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  cancel(): void {
    if (!this.response.background) {
      throw badRequest('Only responses created with background=true can be cancelled.', null, 'invalid_request');
    }
    if (this.response.status === 'cancelled') return;
    if (this.ended) throw badRequest(`Cannot cancel a response with status '${this.response.status}'.`, null, 'invalid_request');
    this.waitingForCancel = false;
    this.stages.clear();
    for (const item of this.response.output) {
      if ('status' in item && item.status === 'in_progress') (item as { status: string }).status = 'incomplete';
    }
    // No event is logged: the stream vocabulary has no `response.cancelled`; an open stream just ends.
    this.response.status = 'cancelled';
    this.response.usage = this.usage();
    for (const fn of [...this.listeners]) fn();
  }

  /** The `cancel` script: the response stays in progress until a cancel request arrives. */
  waitForCancel(): void {
    this.waitingForCancel = true;
  }

  // ---- logging -------------------------------------------------------------------------------------

  log(body: ResponseEventBody): void {
    const { type, ...rest } = body as { type: string } & Record<string, unknown>;
    this.events.push({ type, sequence_number: this.events.length, ...rest } as ResponseEvent);
  }

  private lifecycle(type: 'response.created' | 'response.queued' | 'response.in_progress' | 'response.completed' | 'response.failed' | 'response.incomplete'): void {
    this.log({ type, response: clone(this.response) });
  }

  newId(prefix: string): string {
    return this.ctx.ids.hexId(prefix);
  }

  callId(): string {
    return this.ctx.ids.callId();
  }

  // ---- primitives used by the scripts -------------------------------------------------------------

  start(): void {
    this.response.status = 'in_progress';
    this.lifecycle('response.in_progress');
  }

  /** Adds an output item (logged as `response.output_item.added`); returns its output_index. */
  addItem(item: OutputItem): number {
    this.response.output.push(item);
    const index = this.response.output.length - 1;
    this.log({ type: 'response.output_item.added', output_index: index, item: clone(item) } as ResponseEventBody);
    return index;
  }

  /** Marks the item done (status as given) and logs `response.output_item.done`. */
  doneItem(index: number, status: 'completed' | 'incomplete' = 'completed'): void {
    const item = this.response.output[index] as OutputItem;
    if ('status' in item) (item as { status?: string }).status = status;
    this.log({ type: 'response.output_item.done', output_index: index, item: clone(item) } as ResponseEventBody);
  }

  /** Logs a tool-progress event (`response.web_search_call.searching`, …) of the item at `index`. */
  progress(type: string, index: number, extra: Record<string, unknown> = {}): void {
    const item = this.response.output[index] as { id: string };
    this.log({ type, item_id: item.id, output_index: index, ...extra } as unknown as ResponseEventBody);
  }

  /** Token-sized pieces of `text` as delta events of the item (with the recorded `obfuscation`). */
  deltas(type: string, index: number, text: string, extra: Record<string, unknown> = {}, withObfuscation = true): void {
    const item = this.response.output[index] as { id: string };
    tokenPieces(text).forEach((delta, n) => {
      const body: Record<string, unknown> = { type, item_id: item.id, output_index: index, ...extra, delta };
      if (withObfuscation) body['obfuscation'] = obfuscation(this.seed, item.id, n, delta);
      this.log(body as unknown as ResponseEventBody);
    });
  }

  countOutput(text: string): void {
    this.outputTokens += tokens(text);
  }

  /** Output tokens still allowed by max_output_tokens (Infinity without one). */
  remainingBudget(): number {
    const max = this.response.max_output_tokens;
    return max === null ? Infinity : Math.max(0, max - this.outputTokens - this.reasoningTokens);
  }

  /**
   * Writes an assistant message: added, its output_text part, the text as deltas (an annotation comes
   * right after the delta that completes its span), done events, item done. Cut to the remaining
   * budget (or `forcedBudget`): then the message and the response are `incomplete`. Returns whether the
   * text was cut.
   */
  message(text: string, annotations: Annotation[] = [], forcedBudget?: number): boolean {
    const budget = Math.min(this.remainingBudget(), forcedBudget ?? Infinity);
    const truncated = tokens(text) > budget;
    const value = truncated ? truncateToTokens(text, budget) : text;
    const kept = annotations.filter((a) => !('end_index' in a) || a.end_index <= value.length);
    const item: OutputMessage = { id: this.newId('msg_'), type: 'message', status: 'in_progress', content: [], role: 'assistant' };
    const index = this.addItem(item);
    const part = { type: 'output_text' as const, annotations: [] as Annotation[], logprobs: [], text: '' };
    item.content.push(part);
    this.log({ type: 'response.content_part.added', item_id: item.id, output_index: index, content_index: 0, part: clone(part) } as ResponseEventBody);
    let pos = 0;
    let pending = kept.map((a, i) => ({ a, i, at: annotationEnd(a, value) }));
    tokenPieces(value).forEach((delta, n) => {
      pos += delta.length;
      part.text += delta;
      this.log({
        type: 'response.output_text.delta',
        item_id: item.id,
        output_index: index,
        content_index: 0,
        delta,
        logprobs: [],
        obfuscation: obfuscation(this.seed, item.id, n, delta),
      } as ResponseEventBody);
      for (const p of pending.filter((x) => x.at <= pos)) {
        part.annotations.push(p.a);
        this.log({
          type: 'response.output_text.annotation.added',
          item_id: item.id,
          output_index: index,
          content_index: 0,
          annotation_index: p.i,
          annotation: clone(p.a),
        } as ResponseEventBody);
      }
      pending = pending.filter((x) => x.at > pos);
    });
    part.text = value;
    this.log({ type: 'response.output_text.done', item_id: item.id, output_index: index, content_index: 0, text: value, logprobs: [] } as ResponseEventBody);
    this.log({ type: 'response.content_part.done', item_id: item.id, output_index: index, content_index: 0, part: clone(part) } as ResponseEventBody);
    this.outputTokens += truncated ? Math.min(budget, tokens(value)) : tokens(value);
    this.doneItem(index, truncated ? 'incomplete' : 'completed');
    return truncated;
  }

  /** Starts a message that never gets text (the `cancel` script): added + the empty part. */
  openMessage(): void {
    const item: OutputMessage = { id: this.newId('msg_'), type: 'message', status: 'in_progress', content: [], role: 'assistant' };
    const index = this.addItem(item);
    const part = { type: 'output_text' as const, annotations: [] as Annotation[], logprobs: [], text: '' };
    item.content.push(part);
    this.log({ type: 'response.content_part.added', item_id: item.id, output_index: index, content_index: 0, part: clone(part) } as ResponseEventBody);
  }

  // ---- endings -------------------------------------------------------------------------------------

  private inputTokens(): { input: number; cached: number } {
    let history = 0;
    for (const item of this.history) history += itemTokens(item);
    let input = PER_REQUEST_OVERHEAD + tokens(this.response.instructions ?? '') + history;
    if (this.response.tools.length > 0) input += tokens(JSON.stringify(this.response.tools));
    for (const item of this.inputItems) input += itemTokens(item);
    // What an earlier response of the chain or conversation already sent counts as cached (in blocks).
    const cached = this.history.length > 0 ? Math.floor(history / 16) * 16 : 0;
    return { input, cached: Math.min(cached, input) };
  }

  usage(): WireResponse['usage'] {
    const { input, cached } = this.inputTokens();
    const output = this.outputTokens + this.reasoningTokens;
    return {
      input_tokens: input,
      input_tokens_details: { cached_tokens: cached },
      output_tokens: output,
      output_tokens_details: { reasoning_tokens: this.reasoningTokens },
      total_tokens: input + output,
    };
  }

  private finish(status: 'completed' | 'incomplete' | 'failed'): void {
    const r = this.response;
    r.status = status;
    r.service_tier = 'default';
    r.usage = this.usage();
    if (status === 'completed') r.completed_at = nowSeconds();
    if (status === 'incomplete') r.incomplete_details = { reason: 'max_output_tokens' };
    if (status === 'failed') r.error = { code: 'server_error', message: SERVER_ERROR_MESSAGE };
    if (status !== 'failed') this.appendToConversation();
    this.lifecycle(`response.${status}`);
  }

  complete(): void {
    this.finish('completed');
  }

  incomplete(): void {
    this.finish('incomplete');
  }

  fail(): void {
    this.finish('failed');
  }

  /** Ends with the message: completed, or incomplete when it was cut. */
  finishWithMessage(text: string, annotations: Annotation[] = [], forcedBudget?: number): void {
    if (this.message(text, annotations, forcedBudget)) this.incomplete();
    else this.complete();
  }

  private appendToConversation(): void {
    if (!this.conversation || this.appended) return;
    this.appended = true;
    this.conversation.items.push(...clone(this.inputItems), ...clone(this.response.output));
  }
}

function annotationEnd(a: Annotation, text: string): number {
  if ('end_index' in a) return a.end_index;
  if ('index' in a) return Math.min(a.index, text.length);
  return text.length;
}
