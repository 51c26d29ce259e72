import type { OpenAIInstrumentationConfig } from '../config';
import { fitJSON, marker } from './fit-json';

/**
 * Decides whether content is recorded and applies the redaction hook and the length cap to every
 * captured value. All message text, tool arguments/results and code pass through `capture`.
 */
export class ContentPolicy {
  readonly enabled: boolean;
  readonly maxLength: number;
  private readonly redact?: (value: string, key: string) => string;

  constructor(config: OpenAIInstrumentationConfig, env: NodeJS.ProcessEnv = process.env) {
    const envValue = env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT?.trim().toLowerCase();
    this.enabled = config.captureContent !== false && envValue !== 'false';
    this.maxLength = Math.max(16, config.maxContentLength ?? 16384);
    this.redact = config.redact;
  }

  /**
   * The value to record under `key`, or undefined when content is off or the hook failed. A string is cut
   * at the cap and marked; a structured value (message lists) is serialised and, over the cap, shortened
   * inside (see fitJSON) so it stays valid JSON. The hook sees the whole value first, so a secret is never
   * half-cut past its pattern; a hook that breaks the JSON or grows it past the cap gets a string cut.
   */
  capture(key: string, value: unknown): string | undefined {
    if (!this.enabled || value === undefined || value === null) return undefined;
    const structured = typeof value !== 'string';
    let text: string | undefined = typeof value === 'string' ? value : safeStringify(value);
    if (text === undefined) return undefined;
    if (this.redact) {
      const redacted = this.redactText(text, key);
      if (redacted === undefined) return undefined;
      if (structured && redacted !== text && redacted.length > this.maxLength) value = parseJSON(redacted);
      text = redacted;
    }
    if (text.length <= this.maxLength) return text;
    const fitted = structured && value !== undefined ? fitJSON(value, this.maxLength) : undefined;
    return fitted ?? truncate(text, this.maxLength);
  }

  private redactText(text: string, key: string): string | undefined {
    try {
      const out = this.redact!(text, key);
      return typeof out === 'string' ? out : undefined;
    } catch {
      return undefined; // a failing hook must not leak the unredacted value
    }
  }

  /** Caps a string kept in memory (state), so memory stays bounded even before capture. */
  cap(text: string): string {
    return truncate(text, this.maxLength);
  }
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, max) + marker(text.length - max);
}

export function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
