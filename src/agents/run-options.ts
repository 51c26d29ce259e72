import { context, createContextKey, type Context } from '@opentelemetry/api';
import { obj, str } from '../util/json';

// What an agent run was asked to continue, carried from `Runner.run(agent, input, options)` to the bridge's
// onTraceStart in the OTel context: the SDK's trace knows only its groupId, and the run root's place (a
// conversation's trace) must be known when it starts, before any model request shows it.
//
// Contract for the Runner.run wrapper (runner.ts): for every run, call the original inside
// `context.with(runOptionsContext(context.active(), options), …)`, always (a run without these options
// too, so a run nested in another's tool does not inherit the outer run's conversation). `options` is the
// app's own object, passed through untouched; it is read here, never changed, and nothing here throws.

/** What the bridge reads of a run's options. */
export interface RunOptionsSeen {
  conversationId?: string;
  previousResponseId?: string;
  /** The run's session: an OpenAIConversationsSession's conversation id is read at the run's start. */
  session?: object;
}

const KEY = createContextKey('spanlens.agents.runOptions');
const NONE: RunOptionsSeen = Object.freeze({});

/** `ctx` with the run options the bridge needs (conversationId, previousResponseId, session). */
export function runOptionsContext(ctx: Context, options: unknown): Context {
  try {
    const o = obj(options);
    if (!o) return ctx.setValue(KEY, NONE);
    const session = o.session;
    const seen: RunOptionsSeen = {
      conversationId: str(o.conversationId),
      previousResponseId: str(o.previousResponseId),
      session: typeof session === 'object' && session !== null ? session : undefined,
    };
    return ctx.setValue(KEY, seen);
  } catch {
    return ctx;
  }
}

/** The run options set by runOptionsContext in `ctx` (the active context by default). */
export function runOptionsOf(ctx: Context = context.active()): RunOptionsSeen {
  return (ctx.getValue(KEY) as RunOptionsSeen | undefined) ?? NONE;
}

/**
 * The conversation an OpenAIConversationsSession stores its items in, if it has one yet (its `sessionId`
 * getter). A session that creates its conversation lazily has one by the trace's start: `Runner.run` reads
 * the session's history (which creates it) before it starts the run's trace; only a run resumed from a
 * RunState skips that read.
 * Other sessions (memory, SQL) keep their history locally under ids of their own (UUIDs), not `conv_` ids:
 * they are no server conversation.
 */
export function sessionConversationId(session: object | undefined): string | undefined {
  if (!session) return undefined;
  try {
    const id = str((session as { sessionId?: unknown }).sessionId);
    return id?.startsWith('conv_') ? id : undefined;
  } catch {
    return undefined;
  }
}
