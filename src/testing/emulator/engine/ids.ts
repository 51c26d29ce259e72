import { createHash } from 'node:crypto';

// Deterministic ids and choices. Every value is a hash of (seed, kind, counter), so an id does not
// depend on how many requests of other kinds came before it (polling more or less keeps ids stable).

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export type IdKind = 'asst' | 'thread' | 'msg' | 'run' | 'step' | 'call' | 'vs' | 'file';

const PREFIX: Record<IdKind, string> = {
  asst: 'asst_',
  thread: 'thread_',
  msg: 'msg_',
  run: 'run_',
  step: 'step_',
  call: 'call_',
  vs: 'vs_',
  file: 'file-',
};

export function digest(...parts: Array<string | number>): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

/** A deterministic unsigned 32-bit integer from the parts. */
export function hashInt(...parts: Array<string | number>): number {
  return digest(...parts).readUInt32BE(0);
}

/** Picks one element deterministically. */
export function pick<T>(items: readonly T[], ...parts: Array<string | number>): T {
  return items[hashInt(...parts) % items.length] as T;
}

/** 24 base62 chars with at least one digit and one upper-case letter (how real ids look). */
export function base62Id(...parts: Array<string | number>): string {
  const bytes = digest(...parts);
  const chars: string[] = [];
  for (let i = 0; i < 24; i++) chars.push(BASE62[(bytes[i] as number) % 62] as string);
  const digitAt = (bytes[24] as number) % 12;
  const upperAt = 12 + ((bytes[25] as number) % 12);
  if (!chars.some((c) => DIGITS.includes(c))) chars[digitAt] = DIGITS[(bytes[26] as number) % 10] as string;
  if (!chars.some((c) => UPPER.includes(c))) chars[upperAt] = UPPER[(bytes[27] as number) % 26] as string;
  return chars.join('');
}

export class IdFactory {
  private readonly counters = new Map<string, number>();

  constructor(private readonly seed: number) {}

  private next(kind: string): number {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return n;
  }

  id(kind: IdKind): string {
    return PREFIX[kind] + base62Id('spanlens-emulator', this.seed, kind, this.next(kind));
  }

  /**
   * A Responses-API style id: `prefix` + 50 lower-case hex chars (recorded: `resp_0f24…f359`,
   * `msg_…`, `fc_…`, `rs_…`), always with at least one digit (the instrumentation's route parser
   * tells ids from path words by their digits or capitals). Own counters per prefix, so these ids do
   * not shift the Assistants ids.
   */
  hexId(prefix: string): string {
    const hex = digest('spanlens-emulator', this.seed, 'hex', prefix, this.next(`hex:${prefix}`))
      .toString('hex')
      .slice(0, 50);
    return prefix + (/[0-9]/.test(hex) ? hex : '0' + hex.slice(1));
  }

  /** `call_` + 24 base62 chars (function call ids of the Responses and Chat APIs). */
  callId(): string {
    return 'call_' + base62Id('spanlens-emulator', this.seed, 'rcall', this.next('rcall'));
  }

  /** `chatcmpl-` + 29 base62 chars, like real chat completion ids. */
  chatId(): string {
    const n = this.next('chatcmpl');
    return 'chatcmpl-' + base62Id('spanlens-emulator', this.seed, 'chatcmpl', n) + base62Id('spanlens-emulator', this.seed, 'chatcmpl-tail', n).slice(0, 5);
  }

  /** `req_` + 32 lower-case hex chars, like the real `x-request-id` header. */
  requestId(): string {
    return 'req_' + digest('spanlens-emulator', this.seed, 'req', this.next('req')).subarray(0, 16).toString('hex');
  }
}
