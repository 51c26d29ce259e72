import { badRequest, invalidType, invalidValue, missingParam } from './errors';
import type { AssistantTool, Metadata, ToolResources } from './types';

// Request-body checks with the real API's wording ("Invalid type for 'x': expected a string, but got
// a boolean instead.", "Missing required parameter: 'x'.").

export type Body = Record<string, unknown>;

export function asBody(body: unknown): Body {
  if (body === null || body === undefined) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.', null, 'invalid_type');
  }
  return body as Body;
}

export function has(body: Body, key: string): boolean {
  return body[key] !== undefined;
}

export function requiredString(body: Body, key: string): string {
  const v = body[key];
  if (v === undefined || v === null || v === '') throw missingParam(key);
  if (typeof v !== 'string') throw invalidType(key, 'a string', v);
  return v;
}

export function optionalString(body: Body, key: string): string | null | undefined {
  const v = body[key];
  if (v === undefined || v === null) return v;
  if (typeof v !== 'string') throw invalidType(key, 'a string', v);
  return v;
}

export function optionalNumber(body: Body, key: string, min?: number, max?: number): number | null | undefined {
  const v = body[key];
  if (v === undefined || v === null) return v;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidType(key, 'a number', v);
  if (min !== undefined && v < min) {
    throw badRequest(`Invalid '${key}': number below minimum value. Expected a value >= ${min}, but got ${v} instead.`, key, 'decimal_below_min_value');
  }
  if (max !== undefined && v > max) {
    throw badRequest(`Invalid '${key}': number above maximum value. Expected a value <= ${max}, but got ${v} instead.`, key, 'decimal_above_max_value');
  }
  return v;
}

export function optionalInteger(body: Body, key: string, min?: number): number | null | undefined {
  const v = body[key];
  if (v === undefined || v === null) return v;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidType(key, 'an integer', v);
  if (min !== undefined && v < min) {
    throw badRequest(`Invalid '${key}': integer below minimum value. Expected a value >= ${min}, but got ${v} instead.`, key, 'integer_below_min_value');
  }
  return v;
}

export function optionalBoolean(body: Body, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalidType(key, 'a boolean', v);
  return v;
}

export function optionalObject(body: Body, key: string): Body | null | undefined {
  const v = body[key];
  if (v === undefined || v === null) return v;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidType(key, 'an object', v);
  return v as Body;
}

export function optionalArray(body: Body, key: string): unknown[] | null | undefined {
  const v = body[key];
  if (v === undefined || v === null) return v;
  if (!Array.isArray(v)) throw invalidType(key, 'an array', v);
  return v;
}

/** Metadata: up to 16 string values, keys up to 64 chars, values up to 512 chars. */
export function metadata(body: Body, key = 'metadata'): Metadata | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidType(key, 'an object', v);
  const entries = Object.entries(v as Body);
  if (entries.length > 16) {
    throw badRequest(
      `Invalid '${key}': too many properties. Expected an object with at most 16 properties, but got an object with ${entries.length} properties instead.`,
      key,
      'object_above_max_properties',
    );
  }
  const out: Metadata = {};
  for (const [k, value] of entries) {
    if (k.length > 64) {
      throw badRequest(`Invalid '${key}': metadata keys must be at most 64 characters long.`, key, 'invalid_value');
    }
    if (typeof value !== 'string') throw invalidType(`${key}.${k}`, 'a string', value);
    if (value.length > 512) {
      throw badRequest(
        `Invalid '${key}.${k}': string too long. Expected a string with maximum length 512, but got a string with length ${value.length} instead.`,
        `${key}.${k}`,
        'string_above_max_length',
      );
    }
    out[k] = value;
  }
  return out;
}

const DEFAULT_RANKING = { ranker: 'default_2024_08_21' as const, score_threshold: 0.0 };

/** Tools as the real API echoes them: file_search gets its default ranking options filled in. */
export function tools(body: Body, key = 'tools'): AssistantTool[] | undefined {
  const list = optionalArray(body, key);
  if (list === undefined || list === null) return undefined;
  if (list.length > 128) {
    throw badRequest(`Invalid '${key}': array too long. Expected an array with maximum length 128, but got an array with length ${list.length} instead.`, key, 'array_above_max_length');
  }
  return list.map((raw, i): AssistantTool => {
    const param = `${key}[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidType(param, 'an object', raw);
    const tool = raw as Body;
    switch (tool['type']) {
      case 'code_interpreter':
        return { type: 'code_interpreter' };
      case 'file_search': {
        const fs = (optionalObject(tool, 'file_search') ?? {}) as Body;
        const ranking = (optionalObject(fs, 'ranking_options') ?? {}) as Body;
        const out: AssistantTool = {
          type: 'file_search',
          file_search: {
            ...fs,
            ranking_options: {
              ranker: (ranking['ranker'] as 'auto' | 'default_2024_08_21' | undefined) ?? DEFAULT_RANKING.ranker,
              score_threshold: (ranking['score_threshold'] as number | undefined) ?? DEFAULT_RANKING.score_threshold,
            },
          },
        };
        return out;
      }
      case 'function': {
        const fn = optionalObject(tool, 'function');
        if (!fn) throw missingParam(`${param}.function`);
        const name = fn['name'];
        if (typeof name !== 'string' || name === '') throw missingParam(`${param}.function.name`);
        if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
          throw invalidValue(`${param}.function.name`, `Invalid '${param}.function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`);
        }
        return { type: 'function', function: fn as unknown as { name: string } };
      }
      default:
        throw invalidValue(`${param}.type`, `Invalid value: '${String(tool['type'])}'. Supported values are: 'code_interpreter', 'function', and 'file_search'.`);
    }
  });
}

/**
 * Tool resources; `file_search.vector_stores` (the create-a-store-inline helper of thread and assistant
 * creation) is turned into ids through `createVectorStore`.
 */
export function toolResources(body: Body, key = 'tool_resources', createVectorStore?: (fileIds: string[]) => string): ToolResources | undefined {
  const v = optionalObject(body, key);
  if (v === undefined || v === null) return undefined;
  const out: ToolResources = {};
  const ci = optionalObject(v, 'code_interpreter');
  if (ci) {
    const ids = optionalArray(ci, 'file_ids') ?? [];
    out.code_interpreter = { file_ids: ids.map((x) => String(x)) };
  }
  const fs = optionalObject(v, 'file_search');
  if (fs) {
    const ids = (optionalArray(fs, 'vector_store_ids') ?? []).map((x) => String(x));
    const inline = optionalArray(fs, 'vector_stores') ?? [];
    if (createVectorStore) {
      for (const store of inline) {
        const fileIds = typeof store === 'object' && store !== null ? (store as Body)['file_ids'] : undefined;
        ids.push(createVectorStore(Array.isArray(fileIds) ? fileIds.map((x) => String(x)) : []));
      }
    }
    out.file_search = { vector_store_ids: ids };
  }
  return out;
}

export function oneOf<T extends string>(body: Body, key: string, allowed: readonly T[], required: boolean): T | undefined {
  const v = body[key];
  if (v === undefined || v === null) {
    if (required) throw missingParam(key);
    return undefined;
  }
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    const list = allowed.map((a) => `'${a}'`);
    const words = list.length > 1 ? `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}` : list[0];
    throw invalidValue(key, `Invalid value: '${String(v)}'. Supported values are: ${words}.`);
  }
  return v as T;
}
