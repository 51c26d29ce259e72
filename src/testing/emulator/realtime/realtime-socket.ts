import type {
  ConversationItem,
  RealtimeAudioInputTurnDetection,
  RealtimeFunctionTool,
  RealtimeResponse,
  RealtimeResponseUsage,
  RealtimeServerEvent,
  RealtimeSessionCreateRequest,
  RealtimeTranscriptionSessionAudioInput,
  RealtimeTranscriptionSessionCreateRequest,
} from 'openai/resources/realtime/realtime';
import { answerText, functionArguments, quote, toolAnswerText, tokenPieces } from '../engine/generate';
import type { IdFactory } from '../engine/ids';
import { ApiError } from '../engine/errors';
import { nextStep, parseDirectives, type ScriptedItem } from '../engine/directives';
import { tokens } from '../engine/usage';
import type { StreamFault } from '../http/faults';
import type { MessageSocket } from '../http/sockets';

// The Realtime API over WebSocket (`GET /v1/realtime?model=…` upgraded), GA protocol: a session per
// connection that answers the client events an app sends with the server events the API gives (typed
// with the `openai` package's own Realtime types), one JSON text frame each:
// - `session.created` on connect; `session.update` → `session.updated` (the session merged);
// - `input_audio_buffer.append` (base64 PCM16): with turn detection (`server_vad`, the default; `semantic_vad`
//   is treated alike) speech is any 10 ms frame with a sample above the threshold, a turn ends after
//   `silence_duration_ms` (default 500) of silence: `speech_started`, `speech_stopped`, `committed`, the
//   user item, its transcription (when `audio.input.transcription` names a model) and a response;
//   without it, `input_audio_buffer.commit` ends a turn (an empty buffer is an error);
// - `conversation.item.create` → `conversation.item.added` / `.done`;
// - `response.create` → `response.created`, the output item (a message in text or audio with its
//   transcript, or a call of the first function tool when the last item is the user's and the session has
//   tools), its deltas and `.done` events, `response.done` with usage by modality; `response.metadata.script`
//   picks `answer`, `function_call` or `long` (many chunks, to cancel); `[emulator:call=…]` /
//   `[emulator:handoff=…]` markers in the response's or session's instructions (a voice agent's, as on the
//   Responses side: engine/directives.ts) call those functions first, one turn each, then answer; a second
//   response while one runs is an error;
// - hosted MCP: with an `mcp` tool in the session, `[emulator:script=mcp]` in its instructions (or
//   `response.metadata.script: "mcp"`) makes a response answering the user call the server's
//   `ask_question`: an `mcp_call` item (its argument deltas, `response.mcp_call.in_progress` /
//   `.completed`, the output a quote of the question) — or, unless the tool's `require_approval` is
//   `never`, first an `mcp_approval_request` item, the call coming in the response after the app's
//   `mcp_approval_response` approved it (a rejection gets an answer). MCP items are also sent as
//   `conversation.item.added` / `.done`, where the Agents SDK reads them, and `conversation.item.retrieve`
//   (which the SDK sends for an MCP call in progress) answers `conversation.item.retrieved`;
// - `response.cancel` → the running response ends `cancelled` (`client_cancelled`); speech starting while a
//   response runs (turn detection, unless `interrupt_response: false`) cancels it too (`turn_detected`);
// - `conversation.item.truncate` → `conversation.item.truncated` (an assistant message's audio, at most as long
//   as it is);
// - anything else, or a malformed event, is an `error` event naming the client event (`event_id`);
// - a stream fault (the `fault` option, the upgrade's `x-emulator-fault` header) applies to each response
//   after N of its events: `error-event:N` ends it `failed` (server_error), the others break the connection.
// Audio out is silence, 100 ms per delta; audio tokens count 1 per 100 ms in and 1 per 50 ms out.
// A transcription session (`?intent=transcription`) is the same session without a model: its
// `session.created` / `.updated` carry the transcription session shape (`type: 'transcription'`, `audio.input`
// only; no transcription model until the app's `session.update` names one, as the API's default is off);
// audio turns are committed and transcribed as above and nothing responds (`response.*` and the conversation
// events the app could send are errors). A sideband socket (`?call_id=`) is a session as for a model.

type ServerEvent = RealtimeServerEvent;
type Body = Record<string, unknown>;

const RATE = 24000;
const BYTES_PER_MS = (RATE * 2) / 1000;
const FRAME_MS = 10;
const SPEECH_AMPLITUDE = 1000;
const AUDIO_CHUNK_MS = 100;

interface TurnState {
  /** Appended audio, in ms; the buffer (since the last commit) in bytes. */
  audioMs: number;
  bufferBytes: number;
  speechStart?: number;
  lastSpeech?: number;
  itemId?: string;
}

interface Running {
  id: string;
  /** Why it was cancelled: the app's `response.cancel`, or the user speaking over it (turn detection). */
  cancelled?: 'client_cancelled' | 'turn_detected';
  /** The stream fault this response meets (after `events` of its events), if any. */
  fault: StreamFault | null;
  events: number;
  /** An `error-event` fault: the response failed (server_error). */
  failed?: boolean;
  /** Its output items so far, by id (an MCP call can be retrieved while it runs). */
  live: Map<string, ConversationItem>;
}

/** Serves one upgraded Realtime connection. */
export function serveRealtimeSocket(socket: MessageSocket, options: { model: string; transcription?: boolean; ids: IdFactory; seed: number; fault: () => StreamFault | null }): void {
  new RealtimeConnection(socket, options.model, options.ids, options.seed, options.fault, options.transcription ?? false).start();
}

/** What a transcription session can be sent (no responses, no conversation of its own to edit). */
const TRANSCRIPTION_EVENTS = new Set(['session.update', 'input_audio_buffer.append', 'input_audio_buffer.commit', 'input_audio_buffer.clear']);

class RealtimeConnection {
  private readonly session: RealtimeSessionCreateRequest & { id: string; object: 'realtime.session' };
  private readonly items: ConversationItem[] = [];
  /** Milliseconds of audio of the user's audio items, by item id (for audio input tokens). */
  private readonly audioMs = new Map<string, number>();
  /** Assistant messages' audio, in ms: what `conversation.item.truncate` may cut. */
  private readonly spokenMs = new Map<string, number>();
  private readonly turn: TurnState = { audioMs: 0, bufferBytes: 0 };
  private running?: Running;
  private out: Promise<void> = Promise.resolve();
  private readonly conversationId: string;

  constructor(
    private readonly socket: MessageSocket,
    model: string,
    private readonly ids: IdFactory,
    private readonly seed: number,
    private readonly fault: () => StreamFault | null,
    private readonly transcription: boolean,
  ) {
    this.session = {
      type: 'realtime',
      object: 'realtime.session',
      id: this.ids.hexId('sess_').slice(0, 29),
      model,
      output_modalities: ['audio'],
      instructions: '',
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: RATE },
          transcription: undefined,
          turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500, create_response: true, interrupt_response: true },
        },
        output: { format: { type: 'audio/pcm', rate: RATE }, voice: 'alloy', speed: 1 },
      },
      tools: [],
      tool_choice: 'auto',
      max_output_tokens: 'inf',
    };
    this.conversationId = this.ids.hexId('conv_').slice(0, 27);
  }

  /** The session as the server shows it: a transcription session's shape has its audio input only. */
  private view(): RealtimeSessionCreateRequest | RealtimeTranscriptionSessionCreateRequest {
    if (!this.transcription) return this.session;
    const { format, noise_reduction, transcription, turn_detection } = this.session.audio?.input ?? {};
    const view: RealtimeTranscriptionSessionCreateRequest & { id: string; object: string } = {
      type: 'transcription',
      object: 'realtime.transcription_session',
      id: this.session.id,
      audio: { input: { format, noise_reduction, transcription, turn_detection } as RealtimeTranscriptionSessionAudioInput },
      include: [],
    };
    return view;
  }

  start(): void {
    void this.emit({ type: 'session.created', event_id: this.eventId(), session: this.view() });
    this.socket.onEvent((event) => this.handle(event));
  }

  // Ids shaped like the API's (`event_…`, `item_…`, `resp_…`), unique across the emulator's connections.
  private eventId(): string {
    return this.ids.hexId('event_').slice(0, 28);
  }

  private itemId(): string {
    return this.ids.hexId('item_').slice(0, 27);
  }

  /** Sends in order; nothing waits for it but the next send. */
  private emit(event: ServerEvent): Promise<void> {
    this.out = this.out.then(() => this.socket.send(JSON.stringify(event)));
    return this.out;
  }

  private error(message: string, code: string, clientEventId: unknown, param: string | null = null): void {
    void this.emit({ type: 'error', event_id: this.eventId(), error: { type: 'invalid_request_error', code, message, param, event_id: typeof clientEventId === 'string' ? clientEventId : null } });
  }

  private handle(event: Body | undefined): void {
    const clientId = event?.event_id;
    if (this.transcription && !TRANSCRIPTION_EVENTS.has(String(event?.type)))
      return this.error(`Invalid value: '${String(event?.type)}'. A transcription session supports ${[...TRANSCRIPTION_EVENTS].map((t) => `'${t}'`).join(', ')}.`, 'invalid_value', clientId, 'type');
    switch (event?.type) {
      case 'session.update': {
        const update = event.session as Partial<RealtimeSessionCreateRequest> | undefined;
        if (!update || typeof update !== 'object') return this.error("Missing required parameter: 'session'.", 'missing_required_parameter', clientId, 'session');
        const { audio, ...rest } = update;
        // A transcription session keeps its type (the update says `type: 'transcription'`).
        if (!this.transcription) Object.assign(this.session, rest);
        if (audio?.input) this.session.audio = { ...this.session.audio, input: { ...this.session.audio?.input, ...audio.input } };
        if (audio?.output) this.session.audio = { ...this.session.audio, output: { ...this.session.audio?.output, ...audio.output } };
        void this.emit({ type: 'session.updated', event_id: this.eventId(), session: this.view() });
        return;
      }
      case 'input_audio_buffer.append':
        if (typeof event.audio !== 'string') return this.error("Missing required parameter: 'audio'.", 'missing_required_parameter', clientId, 'audio');
        return this.append(Buffer.from(event.audio, 'base64'));
      case 'input_audio_buffer.commit':
        if (this.turn.bufferBytes === 0)
          return this.error(
            'Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has 0.00ms of audio.',
            'input_audio_buffer_commit_empty',
            clientId,
          );
        this.commit(false);
        return;
      case 'input_audio_buffer.clear':
        Object.assign(this.turn, { bufferBytes: 0, speechStart: undefined, lastSpeech: undefined, itemId: undefined });
        void this.emit({ type: 'input_audio_buffer.cleared', event_id: this.eventId() });
        return;
      case 'conversation.item.create': {
        const item = event.item as ConversationItem | undefined;
        if (!item || typeof item !== 'object' || typeof item.type !== 'string') return this.error("Missing required parameter: 'item'.", 'missing_required_parameter', clientId, 'item');
        this.addItem({ ...item, id: item.id ?? this.itemId(), status: 'completed' } as ConversationItem);
        return;
      }
      case 'response.create':
        return this.respond((event.response ?? {}) as Body, clientId);
      case 'conversation.item.retrieve': {
        const item = this.items.find((i) => i.id === event.item_id) ?? this.running?.live.get(String(event.item_id));
        if (!item) return this.error(`Item with item_id not found: ${String(event.item_id)}`, 'item_retrieve_invalid_item_id', clientId, 'item_id');
        void this.emit({ type: 'conversation.item.retrieved', event_id: this.eventId(), item });
        return;
      }
      case 'response.cancel':
        if (!this.running) return this.error('Cancellation failed: no active response found', 'response_cancel_not_active', clientId);
        this.running.cancelled = 'client_cancelled';
        return;
      case 'conversation.item.truncate':
        return this.truncate(event, clientId);
      default:
        return this.error(
          `Invalid value: '${String(event?.type)}'. Supported values are: 'session.update', 'input_audio_buffer.append', 'input_audio_buffer.commit', 'input_audio_buffer.clear', 'conversation.item.create', 'conversation.item.retrieve', 'conversation.item.truncate', 'response.create', and 'response.cancel'.`,
          'invalid_value',
          clientId,
          'type',
        );
    }
  }

  private addItem(item: ConversationItem): void {
    const previous = this.items.at(-1)?.id ?? null;
    this.items.push(item);
    void this.emit({ type: 'conversation.item.added', event_id: this.eventId(), previous_item_id: previous, item });
    void this.emit({ type: 'conversation.item.done', event_id: this.eventId(), previous_item_id: previous, item });
  }

  private get turnDetection(): RealtimeAudioInputTurnDetection | null | undefined {
    return this.session.audio?.input?.turn_detection;
  }

  /** Appended PCM16: with turn detection, 10 ms frames are speech (a loud sample) or silence. */
  private append(pcm: Buffer): void {
    this.turn.bufferBytes += pcm.length;
    const vad = this.turnDetection;
    const frameBytes = FRAME_MS * BYTES_PER_MS;
    for (let off = 0; off < pcm.length; off += frameBytes) {
      const frame = pcm.subarray(off, Math.min(pcm.length, off + frameBytes));
      this.turn.audioMs += (frame.length / BYTES_PER_MS) | 0;
      if (!vad) continue;
      let loud = false;
      for (let i = 0; i + 1 < frame.length && !loud; i += 2) loud = Math.abs(frame.readInt16LE(i)) > SPEECH_AMPLITUDE;
      if (loud) {
        if (this.turn.speechStart === undefined) {
          this.turn.speechStart = this.turn.audioMs - FRAME_MS;
          this.turn.itemId = this.itemId();
          void this.emit({ type: 'input_audio_buffer.speech_started', event_id: this.eventId(), audio_start_ms: this.turn.speechStart, item_id: this.turn.itemId });
          // The user speaks over the answer: turn detection interrupts it (unless told not to).
          if (this.running && !this.running.cancelled && vad.interrupt_response !== false) this.running.cancelled = 'turn_detected';
        }
        this.turn.lastSpeech = this.turn.audioMs;
      } else if (this.turn.lastSpeech !== undefined && this.turn.audioMs - this.turn.lastSpeech >= ('silence_duration_ms' in vad ? (vad.silence_duration_ms ?? 500) : 500)) {
        void this.emit({ type: 'input_audio_buffer.speech_stopped', event_id: this.eventId(), audio_end_ms: this.turn.audioMs, item_id: this.turn.itemId! });
        this.commit(vad.create_response !== false && !this.transcription);
      }
    }
  }

  /** Ends the user's audio turn: its item, its transcription, and (turn detection) a response. */
  private commit(respond: boolean): void {
    const itemId = this.turn.itemId ?? this.itemId();
    const ms = Math.round(this.turn.bufferBytes / BYTES_PER_MS);
    Object.assign(this.turn, { bufferBytes: 0, speechStart: undefined, lastSpeech: undefined, itemId: undefined });
    void this.emit({ type: 'input_audio_buffer.committed', event_id: this.eventId(), item_id: itemId, previous_item_id: this.items.at(-1)?.id });
    const transcript = `(${ms} ms of speech)`;
    // The transcript is null until transcribed, as the API sends it (the Agents SDK's item schema requires it).
    this.addItem({ id: itemId, type: 'message', role: 'user', object: 'realtime.item', status: 'completed', content: [{ type: 'input_audio', transcript: null as unknown as string }] });
    this.audioMs.set(itemId, ms);
    const model = this.session.audio?.input?.transcription?.model;
    if (model) {
      void this.emit({ type: 'conversation.item.input_audio_transcription.delta', event_id: this.eventId(), item_id: itemId, content_index: 0, delta: transcript });
      const audioTokens = Math.max(1, Math.round(ms / 100));
      const textTokens = tokens(transcript);
      void this.emit({
        type: 'conversation.item.input_audio_transcription.completed',
        event_id: this.eventId(),
        item_id: itemId,
        content_index: 0,
        transcript,
        usage: { type: 'tokens', input_tokens: audioTokens, output_tokens: textTokens, total_tokens: audioTokens + textTokens, input_token_details: { audio_tokens: audioTokens, text_tokens: 0 } },
      });
    }
    if (respond) this.respond({}, undefined);
  }

  private respond(params: Body, clientId: unknown): void {
    if (this.running)
      return this.error(
        `Conversation already has an active response in progress: ${this.running.id}. Wait until the response is finished before creating a new one.`,
        'conversation_already_has_active_response',
        clientId,
      );
    const max = params.max_output_tokens;
    if (max !== undefined && max !== 'inf' && (typeof max !== 'number' || max < 1 || max > 4096))
      return this.error(`Invalid 'response.max_output_tokens': integer between 1 and 4096 or 'inf' expected.`, 'invalid_value', clientId, 'response.max_output_tokens');
    let call: string | null | undefined;
    try {
      call = this.scriptedCall(params);
    } catch (err) {
      if (err instanceof ApiError) return this.error(err.message, err.code ?? 'invalid_value', clientId, err.param);
      throw err;
    }
    const running: Running = { id: this.ids.hexId('resp_').slice(0, 27), fault: this.fault(), events: 0, live: new Map() };
    this.running = running;
    void this.run(running, params, call).finally(() => {
      if (this.running === running) this.running = undefined;
    });
  }

  /** The session's (or the response's) hosted MCP tool, if any. */
  private mcpTool(params: Body): Body | undefined {
    const tools = (params.tools as Body[] | undefined) ?? (this.session.tools as unknown as Body[] | undefined) ?? [];
    return tools.find((t) => t.type === 'mcp');
  }

  /** The response's function tools (its own, else the session's). */
  private tools(params: Body): RealtimeFunctionTool[] {
    return ((params.tools as RealtimeFunctionTool[] | undefined) ?? (this.session.tools as RealtimeFunctionTool[] | undefined) ?? []).filter((t) => t.type === 'function' && t.name);
  }

  /**
   * What the instructions' markers script for this response: the function of the next scripted turn,
   * null once every scripted turn was made (the agent answers), undefined without markers. A marker naming
   * a function the response does not offer is an error (thrown as the API error it answers with).
   */
  private scriptedCall(params: Body): string | null | undefined {
    const instructions = typeof params.instructions === 'string' ? params.instructions : (this.session.instructions ?? null);
    const directives = parseDirectives(
      instructions,
      this.tools(params).map((t) => t.name!),
    );
    if (!directives.steps.length) return undefined;
    return nextStep(directives.steps, this.items as ScriptedItem[])?.[0] ?? null;
  }

  /**
   * Streams one response's events, pausing between them; a cancel ends it at the next event. `call`: the
   * function the markers script (null: they script an answer; undefined: no markers).
   */
  private async run(running: Running, params: Body, call: string | null | undefined): Promise<void> {
    const modalities = (params.output_modalities as Array<'text' | 'audio'> | undefined) ?? this.session.output_modalities ?? ['audio'];
    const tools = this.tools(params);
    const script = typeof (params.metadata as Body | undefined)?.script === 'string' ? String((params.metadata as Body).script) : undefined;
    const last = this.items.at(-1);
    const question = this.userText();
    const scripted = call ? tools.find((t) => t.name === call) : undefined;
    const callTool = script === 'function_call' || (script === undefined && (call === undefined ? tools.length > 0 && last?.type === 'message' && last.role === 'user' : !!scripted));
    const conversation = params.conversation === 'none' ? undefined : this.conversationId;
    const base: RealtimeResponse = {
      id: running.id,
      object: 'realtime.response',
      status: 'in_progress',
      status_details: undefined,
      output: [],
      conversation_id: conversation,
      output_modalities: modalities,
      max_output_tokens: (params.max_output_tokens as number | 'inf' | undefined) ?? 'inf',
      metadata: (params.metadata as Record<string, string> | undefined) ?? null,
      usage: undefined,
    };
    await this.emit({ type: 'response.created', event_id: this.eventId(), response: base });
    const itemId = this.itemId();
    const outputs: ConversationItem[] = [];
    const step = async (event: ServerEvent): Promise<boolean> => {
      await this.socket.pause();
      if (running.cancelled || running.failed || this.socket.closed) return false;
      if (running.fault && ++running.events > running.fault.events) {
        // A fault: `error-event` fails the response (server_error); any other breaks the connection here.
        if (running.fault.kind === 'error-event') running.failed = true;
        else this.socket.cut();
        return false;
      }
      await this.emit(event);
      return true;
    };
    let outText: number;
    let outAudioMs = 0;
    let ok = true;
    const tool = scripted ?? tools[0];
    const mcp = this.mcpStep(params, script);
    if (mcp) {
      const item = mcp as Body;
      const live = (done: ConversationItem): void => void running.live.set(itemId, done);
      const added = { ...item, id: itemId, ...(item.type === 'mcp_call' ? { arguments: '', output: null } : {}) } as ConversationItem;
      live(added);
      ok &&= await step({ type: 'response.output_item.added', event_id: this.eventId(), response_id: running.id, output_index: 0, item: added });
      ok &&= await step({ type: 'conversation.item.added', event_id: this.eventId(), previous_item_id: this.items.at(-1)?.id ?? null, item: added });
      if (item.type === 'mcp_call') {
        const args = String(item.arguments);
        for (const piece of tokenPieces(args))
          ok &&= await step({ type: 'response.mcp_call_arguments.delta', event_id: this.eventId(), response_id: running.id, item_id: itemId, output_index: 0, delta: piece });
        ok &&= await step({ type: 'response.mcp_call_arguments.done', event_id: this.eventId(), response_id: running.id, item_id: itemId, output_index: 0, arguments: args });
        ok &&= await step({ type: 'response.mcp_call.in_progress', event_id: this.eventId(), item_id: itemId, output_index: 0 });
      }
      // Complete (its output in) from the moment the call is said completed: the SDK retrieves it then.
      const done = { ...item, id: itemId } as ConversationItem;
      live(done);
      if (item.type === 'mcp_call') ok &&= await step({ type: 'response.mcp_call.completed', event_id: this.eventId(), item_id: itemId, output_index: 0 });
      ok &&= await step({ type: 'response.output_item.done', event_id: this.eventId(), response_id: running.id, output_index: 0, item: done });
      ok &&= await step({ type: 'conversation.item.done', event_id: this.eventId(), previous_item_id: this.items.at(-1)?.id ?? null, item: done });
      outText = tokens(JSON.stringify(item));
      if (ok) outputs.push(done);
    } else if (callTool && tool) {
      const args = functionArguments(tool.parameters, question);
      const item = { id: itemId, type: 'function_call' as const, object: 'realtime.item' as const, status: 'in_progress' as const, call_id: this.ids.callId(), name: tool.name!, arguments: '' };
      ok &&= await step({ type: 'response.output_item.added', event_id: this.eventId(), response_id: running.id, output_index: 0, item });
      for (const piece of tokenPieces(args))
        ok &&= await step({ type: 'response.function_call_arguments.delta', event_id: this.eventId(), response_id: running.id, item_id: itemId, output_index: 0, call_id: item.call_id, delta: piece });
      const done = { ...item, status: 'completed' as const, arguments: args };
      ok &&= await step({
        type: 'response.function_call_arguments.done',
        event_id: this.eventId(),
        response_id: running.id,
        item_id: itemId,
        output_index: 0,
        call_id: item.call_id,
        name: tool.name!,
        arguments: args,
      });
      ok &&= await step({ type: 'response.output_item.done', event_id: this.eventId(), response_id: running.id, output_index: 0, item: done });
      outText = tokens(args);
      if (ok) outputs.push(done);
    } else {
      const outputsFn = this.items.filter((i) => i.type === 'function_call_output').slice(-1);
      let text = outputsFn.length
        ? toolAnswerText(
            this.seed,
            question,
            outputsFn.map((o) => ({ name: this.toolName(o), output: 'output' in o ? String(o.output) : '' })),
          )
        : answerText(this.seed, question);
      if (script === 'long') text = Array.from({ length: 20 }, () => text).join(' ');
      const audio = modalities.includes('audio');
      const item = { id: itemId, type: 'message' as const, role: 'assistant' as const, object: 'realtime.item' as const, status: 'in_progress' as const, content: [] };
      ok &&= await step({ type: 'response.output_item.added', event_id: this.eventId(), response_id: running.id, output_index: 0, item });
      ok &&= await step({
        type: 'response.content_part.added',
        event_id: this.eventId(),
        response_id: running.id,
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        part: audio ? { type: 'audio', transcript: '' } : { type: 'text', text: '' },
      });
      const pieces = tokenPieces(text);
      let sent = '';
      for (let i = 0; i < pieces.length && ok; i++) {
        const delta = pieces[i]!;
        if (audio) {
          if (i % 4 === 0) {
            ok &&= await step({
              type: 'response.output_audio.delta',
              event_id: this.eventId(),
              response_id: running.id,
              item_id: itemId,
              output_index: 0,
              content_index: 0,
              delta: Buffer.alloc(AUDIO_CHUNK_MS * BYTES_PER_MS).toString('base64'),
            });
            if (ok) outAudioMs += AUDIO_CHUNK_MS;
          }
          ok &&= await step({ type: 'response.output_audio_transcript.delta', event_id: this.eventId(), response_id: running.id, item_id: itemId, output_index: 0, content_index: 0, delta });
        } else ok &&= await step({ type: 'response.output_text.delta', event_id: this.eventId(), response_id: running.id, item_id: itemId, output_index: 0, content_index: 0, delta });
        if (ok) sent += delta;
      }
      if (ok && audio) {
        ok &&= await step({ type: 'response.output_audio.done', event_id: this.eventId(), response_id: running.id, item_id: itemId, output_index: 0, content_index: 0 });
        ok &&= await step({ type: 'response.output_audio_transcript.done', event_id: this.eventId(), response_id: running.id, item_id: itemId, output_index: 0, content_index: 0, transcript: sent });
      } else if (ok) ok &&= await step({ type: 'response.output_text.done', event_id: this.eventId(), response_id: running.id, item_id: itemId, output_index: 0, content_index: 0, text: sent });
      const part = audio ? { type: 'output_audio' as const, transcript: sent } : { type: 'output_text' as const, text: sent };
      const done = { ...item, status: ok ? ('completed' as const) : ('incomplete' as const), content: [part] };
      if (ok)
        ok &&= await step({
          type: 'response.content_part.done',
          event_id: this.eventId(),
          response_id: running.id,
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          part: audio ? { type: 'audio', transcript: sent } : { type: 'text', text: sent },
        });
      if (ok) await step({ type: 'response.output_item.done', event_id: this.eventId(), response_id: running.id, output_index: 0, item: done });
      outText = tokens(sent);
      if (sent) outputs.push(done);
      if (sent && outAudioMs) this.spokenMs.set(itemId, outAudioMs);
    }
    if (this.socket.closed) return;
    for (const item of outputs) if (params.conversation !== 'none') this.items.push(item);
    const usage = this.usage(outText, outAudioMs);
    const cancelled = running.cancelled;
    const status = running.failed ? 'failed' : cancelled ? 'cancelled' : 'completed';
    await this.emit({
      type: 'response.done',
      event_id: this.eventId(),
      response: {
        ...base,
        status,
        status_details: status === 'failed' ? { type: 'failed', error: { type: 'server_error', code: 'server_error' } } : cancelled ? { type: 'cancelled', reason: cancelled } : { type: 'completed' },
        output: outputs,
        usage,
      },
    });
  }

  /**
   * `conversation.item.truncate`: the app cut an assistant's audio where its playback stopped (the user
   * interrupted). Only an assistant message's audio, at most its length; the item keeps the audio played.
   */
  private truncate(event: Body, clientId: unknown): void {
    const item = this.items.find((i) => i.id === event.item_id);
    if (!item || item.type !== 'message' || item.role !== 'assistant')
      return this.error(`Invalid 'item_id': no assistant message with id '${String(event.item_id)}'.`, 'invalid_value', clientId, 'item_id');
    const end = event.audio_end_ms;
    const played = this.spokenMs.get(item.id!) ?? 0;
    if (typeof end !== 'number' || end < 0 || end > played) return this.error(`Invalid 'audio_end_ms': the audio is ${played} ms long.`, 'invalid_value', clientId, 'audio_end_ms');
    this.spokenMs.set(item.id!, end);
    void this.emit({
      type: 'conversation.item.truncated',
      event_id: this.eventId(),
      item_id: item.id!,
      content_index: typeof event.content_index === 'number' ? event.content_index : 0,
      audio_end_ms: end,
    });
  }

  /**
   * The MCP item a response scripted `mcp` makes (see the header), or none: an answer once this user turn's
   * call was made (or its approval rejected).
   */
  private mcpStep(params: Body, script: string | undefined): Omit<ConversationItem, 'id'> | undefined {
    const tool = this.mcpTool(params);
    const instructions = typeof params.instructions === 'string' ? params.instructions : (this.session.instructions ?? '');
    if (!tool || (script ?? (instructions.includes('[emulator:script=mcp]') ? 'mcp' : undefined)) !== 'mcp') return undefined;
    let lastUser = this.items.length - 1;
    const isUser = (i: ConversationItem): boolean => i.type === 'message' && i.role === 'user';
    while (lastUser >= 0 && !isUser(this.items[lastUser]!)) lastUser--;
    if (lastUser < 0) return undefined;
    const turn = this.items.slice(lastUser + 1);
    if (turn.some((i) => i.type === 'mcp_call')) return undefined;
    const serverLabel = typeof tool.server_label === 'string' ? tool.server_label : 'emulated_mcp';
    const args = JSON.stringify({ question: this.userText() });
    const request = turn.find((i) => i.type === 'mcp_approval_request');
    const response = turn.find((i) => i.type === 'mcp_approval_response') as { approve?: boolean; approval_request_id?: string } | undefined;
    const needsApproval = tool.require_approval !== 'never';
    if (needsApproval && !request) return { type: 'mcp_approval_request', server_label: serverLabel, name: 'ask_question', arguments: args } as Omit<ConversationItem, 'id'>;
    if (needsApproval && response?.approve !== true) return undefined;
    return {
      type: 'mcp_call',
      server_label: serverLabel,
      name: 'ask_question',
      arguments: args,
      output: `The server's answer to ${this.userText()}.`,
      error: null,
      approval_request_id: request?.id ?? null,
    } as Omit<ConversationItem, 'id'>;
  }

  /** The name of the function a function_call_output answers (its call in the conversation). */
  private toolName(output: ConversationItem): string {
    const callId = 'call_id' in output ? output.call_id : undefined;
    const call = this.items.find((i) => i.type === 'function_call' && i.call_id === callId);
    return call && 'name' in call && call.name ? call.name : 'tool';
  }

  /** The text of the user's last turn: typed text, or the transcript of its audio. */
  private userText(): string {
    for (let i = this.items.length - 1; i >= 0; i--) {
      const item = this.items[i]!;
      if (item.type !== 'message' || item.role !== 'user') continue;
      return quote(item.content.map((p) => ('text' in p && typeof p.text === 'string' ? p.text : 'transcript' in p && typeof p.transcript === 'string' ? p.transcript : '')).join(' '));
    }
    return '';
  }

  /** Usage by modality: the whole conversation is the input of every response, as in the API. */
  private usage(outText: number, outAudioMs: number): RealtimeResponseUsage {
    let text = tokens(this.session.instructions ?? '') + 3;
    let audio = 0;
    for (const item of this.items) {
      const ms = item.id === undefined ? undefined : this.audioMs.get(item.id);
      if (ms) audio += Math.max(1, Math.round(ms / 100));
      else text += tokens(JSON.stringify('content' in item ? item.content : 'output' in item ? item.output : 'arguments' in item ? item.arguments : '')) + 4;
    }
    const outAudio = Math.round(outAudioMs / 50);
    return {
      total_tokens: text + audio + outText + outAudio,
      input_tokens: text + audio,
      output_tokens: outText + outAudio,
      input_token_details: { text_tokens: text, audio_tokens: audio, image_tokens: 0, cached_tokens: 0, cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 0 } },
      output_token_details: { text_tokens: outText, audio_tokens: outAudio },
    };
  }
}
