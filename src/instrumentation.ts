import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  isWrapped,
  type InstrumentationModuleDefinition,
} from '@opentelemetry/instrumentation';
import { isTracingSuppressed } from './suppress';
import type { OpenAIInstrumentationConfig } from './config';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

export const SUPPORTED_VERSIONS = ['>=4.0.0 <8'];

type MakeRequest = (this: unknown, options: unknown, retriesRemaining?: number | null, ...rest: unknown[]) => Promise<unknown>;

/** Instruments the `openai` package at its request layer: every endpoint, no per-call wiring. */
export class OpenAIInstrumentation extends InstrumentationBase<OpenAIInstrumentationConfig> {
  constructor(config: OpenAIInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  protected init(): InstrumentationModuleDefinition[] {
    return [
      new InstrumentationNodeModuleDefinition(
        'openai',
        SUPPORTED_VERSIONS,
        (moduleExports, moduleVersion) => this.patch(moduleExports, moduleVersion),
        (moduleExports) => this.unpatch(moduleExports),
      ),
    ];
  }

  private patch<T>(moduleExports: T, moduleVersion?: string): T {
    const owner = requestOwner(moduleExports);
    if (!owner) {
      this._diag.warn(`openai ${moduleVersion ?? '?'}: no client class with makeRequest found; calls are not traced`);
      return moduleExports;
    }
    if (isWrapped(owner.makeRequest)) return moduleExports; // this build (CJS or ESM) is patched already
    this._wrap(owner, 'makeRequest', (original: MakeRequest) => {
      return function patchedMakeRequest(this: unknown, options: unknown, retriesRemaining?: number | null, ...rest: unknown[]) {
        // Retries re-enter makeRequest with a count; only the first attempt is a new call.
        if (retriesRemaining != null || isTracingSuppressed(context.active())) {
          return original.call(this, options, retriesRemaining, ...rest);
        }
        return original.call(this, options, retriesRemaining, ...rest);
      } as MakeRequest;
    });
    return moduleExports;
  }

  private unpatch(moduleExports: unknown): void {
    const owner = requestOwner(moduleExports);
    if (owner && isWrapped(owner.makeRequest)) this._unwrap(owner, 'makeRequest');
  }
}

interface RequestOwner {
  makeRequest: MakeRequest;
}

/** The prototype that defines makeRequest: APIClient in v4, OpenAI in v5+. */
function requestOwner(moduleExports: unknown): RequestOwner | undefined {
  const mod = moduleExports as { OpenAI?: { prototype: object }; default?: { prototype: object } } | undefined;
  const cls = mod?.OpenAI ?? mod?.default;
  let proto: object | null = cls?.prototype ?? null;
  while (proto && proto !== Object.prototype) {
    if (Object.prototype.hasOwnProperty.call(proto, 'makeRequest')) return proto as RequestOwner;
    proto = Object.getPrototypeOf(proto);
  }
  return undefined;
}

void isSpanContextValid;
void trace;
