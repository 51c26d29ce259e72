// The semantic conventions the conformance checker reads, loaded from the vendored excerpt
// test/fixtures/semconv/v1.41.1 (see its SOURCES.md): attribute registry, GenAI span and metric definitions
// (with `extends` resolved) and the JSON schemas of the message attributes, compiled with Ajv.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

export const SEMCONV_VERSION = '1.41.1';
export const SEMCONV_DIR = path.join(__dirname, '..', 'fixtures', 'semconv', `v${SEMCONV_VERSION}`);

/** The attribute namespaces the checker holds to the registry (spanlens.* and others are ours / out of scope). */
export const CHECKED_NAMESPACES = ['gen_ai.', 'openai.', 'server.', 'error.', 'url.', 'http.'] as const;

/**
 * openai.* attributes the registry does not define but the project keeps (issue 18: the ids that have no
 * standard — thread, run, step, item). Everything else under openai.* must be in the registry.
 */
export const OPENAI_ID_EXTENSIONS: ReadonlySet<string> = new Set([
  'openai.thread.id',
  'openai.run.id',
  'openai.step.id',
  'openai.item.id',
  // OpenAI object ids of the same kind with no standard key (a message, a code interpreter container).
  'openai.message.id',
  'openai.container.id',
]);

/**
 * Enums whose registry entry admits values beyond its members: error.type (member `_OTHER` plus examples such
 * as `timeout` and `500` outside the list), openai.request.service_tier ("may be a specific tier": the API also
 * takes flex, scale, priority). Every other enum is held to its members, as an OpenAI instrumentation has no
 * documented system-specific value to use instead (gen_ai.operation.name's note).
 */
export const OPEN_ENUMS: ReadonlySet<string> = new Set(['error.type', 'openai.request.service_tier']);

export interface EnumMember {
  value: string | number;
  deprecated: boolean;
}
export interface AttributeDef {
  id: string;
  /** 'string', 'int', 'double', 'boolean', 'string[]', 'any', …; 'enum' when it has members. */
  type: string;
  members?: EnumMember[];
  /** template[T]: the id is a prefix, `id.<key>` carries type T. */
  template?: boolean;
  deprecated?: string;
}

/** 'required' | 'conditionally_required' | 'recommended' | 'opt_in', with the condition text. */
export interface Requirement {
  level: string;
  condition?: string;
}
export interface SignalDef {
  id: string;
  /** span: 'client' | 'internal'; metric: instrument ('histogram', …). */
  spanKind?: string;
  metricName?: string;
  instrument?: string;
  unit?: string;
  attributes: Map<string, Requirement>;
}

export interface Model {
  attributes: Map<string, AttributeDef>;
  templates: AttributeDef[];
  groups: Map<string, SignalDef>;
  metrics: Map<string, SignalDef>;
  schemas: Record<'gen_ai.input.messages' | 'gen_ai.output.messages' | 'gen_ai.system_instructions', ValidateFunction>;
}

const REGISTRIES = [
  'model/gen-ai/registry.yaml',
  'model/gen-ai/deprecated/registry-deprecated.yaml',
  'model/openai/registry.yaml',
  'model/server/registry.yaml',
  'model/error/registry.yaml',
  'model/error/deprecated/registry-deprecated.yaml',
  'model/url/registry.yaml',
  'model/http/registry.yaml',
  'model/http/deprecated/registry-deprecated.yaml',
];
const DEFINITIONS = ['model/gen-ai/spans.yaml', 'model/gen-ai/metrics.yaml'];
const SCHEMAS = {
  'gen_ai.input.messages': 'docs/gen-ai/gen-ai-input-messages.json',
  'gen_ai.output.messages': 'docs/gen-ai/gen-ai-output-messages.json',
  'gen_ai.system_instructions': 'docs/gen-ai/gen-ai-system-instructions.json',
} as const;

/* eslint-disable @typescript-eslint/no-explicit-any -- the semconv YAML is read loosely, then typed here */
type Raw = any;

const read = (rel: string) => readFileSync(path.join(SEMCONV_DIR, rel), 'utf8');
const groupsOf = (rel: string): Raw[] => (parse(read(rel)) as Raw).groups ?? [];

function toAttribute(raw: Raw): AttributeDef {
  const deprecated = raw.deprecated ? `${raw.deprecated.reason ?? 'deprecated'}${raw.deprecated.renamed_to ? ` to ${raw.deprecated.renamed_to}` : ''}` : undefined;
  if (typeof raw.type === 'object' && Array.isArray(raw.type.members)) {
    const members = (raw.type.members as Raw[]).map((m) => ({ value: m.value as string | number, deprecated: Boolean(m.deprecated) }));
    return { id: raw.id, type: 'enum', members, deprecated };
  }
  const type = String(raw.type);
  const template = /^template\[(.+)\]$/.exec(type);
  return template ? { id: raw.id, type: template[1]!, template: true, deprecated } : { id: raw.id, type, deprecated };
}

function toRequirement(raw: Raw): Requirement | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string') return { level: raw };
  const [level, condition] = Object.entries(raw)[0] as [string, string];
  return { level, condition };
}

/** Span / metric / attribute groups with their `extends` chains resolved (own refs override inherited ones). */
function resolveGroups(raws: Raw[]): Map<string, SignalDef> {
  const byId = new Map<string, Raw>(raws.map((g) => [g.id, g]));
  const resolved = new Map<string, SignalDef>();
  const resolve = (id: string): SignalDef => {
    const done = resolved.get(id);
    if (done) return done;
    const g = byId.get(id);
    if (!g) throw new Error(`semconv: unknown group ${id}`);
    const base = g.extends ? resolve(g.extends) : undefined;
    const attributes = new Map(base?.attributes);
    for (const a of (g.attributes ?? []) as Raw[]) {
      if (!a.ref) continue;
      const own = toRequirement(a.requirement_level);
      attributes.set(a.ref, own ?? attributes.get(a.ref) ?? { level: 'recommended' });
    }
    const def: SignalDef = { id, spanKind: g.span_kind, metricName: g.metric_name, instrument: g.instrument, unit: g.unit, attributes };
    resolved.set(id, def);
    return def;
  };
  for (const id of byId.keys()) resolve(id);
  return resolved;
}

function compileSchemas(): Model['schemas'] {
  // The schemas carry no $schema keyword and use only $defs with local $refs: Ajv's default (draft-07) class.
  // `format: binary` (a blob part's content, base64 in JSON) has no check in Ajv: declared as accepting any
  // string, so Ajv does not print "unknown format ignored" once per schema compile in every cell's output.
  const ajv = new Ajv({ allErrors: true, strict: false, formats: { binary: true } });
  const compile = (rel: string) => ajv.compile(JSON.parse(read(rel)) as object);
  return {
    'gen_ai.input.messages': compile(SCHEMAS['gen_ai.input.messages']),
    'gen_ai.output.messages': compile(SCHEMAS['gen_ai.output.messages']),
    'gen_ai.system_instructions': compile(SCHEMAS['gen_ai.system_instructions']),
  };
}

let cached: Model | undefined;

/** The vendored conventions, loaded once per process. */
export function loadModel(): Model {
  if (cached) return cached;
  const attributes = new Map<string, AttributeDef>();
  const templates: AttributeDef[] = [];
  for (const rel of REGISTRIES) {
    for (const g of groupsOf(rel)) {
      for (const raw of (g.attributes ?? []) as Raw[]) {
        if (!raw.id) continue;
        const def = toAttribute(raw);
        if (def.template) templates.push(def);
        else attributes.set(def.id, def);
      }
    }
  }
  const groups = resolveGroups(DEFINITIONS.flatMap(groupsOf));
  const metrics = new Map([...groups.values()].filter((g) => g.metricName).map((g) => [g.metricName!, g]));
  cached = { attributes, templates, groups, metrics, schemas: compileSchemas() };
  return cached;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
