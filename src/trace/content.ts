import type { OpenAIInstrumentationConfig } from '../config';

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

  /** The value to record under `key`, or undefined when content is off or the hook failed. */
  capture(key: string, value: unknown): string | undefined {
    if (!this.enabled || value === undefined || value === null) return undefined;
    let text = typeof value === 'string' ? value : safeStringify(value);
    if (text === undefined) return undefined;
    if (this.redact) {
      try {
        text = this.redact(text, key);
      } catch {
        return undefined; // a failing hook must not leak the unredacted value
      }
      if (typeof text !== 'string') return undefined;
    }
    return truncate(text, this.maxLength);
  }

  /** Caps a string kept in memory (state), so memory stays bounded even before capture. */
  cap(text: string): string {
    return truncate(text, this.maxLength);
  }
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}…[truncated ${text.length - max} chars]`;
}

export function safeStringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
