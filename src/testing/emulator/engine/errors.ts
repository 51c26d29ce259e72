// Errors with the real OpenAI body: `{ error: { message, type, param, code } }`.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** Entity names as they appear in the real "No thread found with id 'thread_x'." messages. */
export type EntityName = 'assistant' | 'thread' | 'message' | 'run' | 'run step' | 'vector store' | 'file';

export function notFound(entity: EntityName, id: string): ApiError {
  // The Files API words it differently from the Assistants endpoints.
  if (entity === 'file') return new ApiError(404, `No such File object: ${id}`, 'invalid_request_error', 'id');
  return new ApiError(404, `No ${entity} found with id '${id}'.`);
}

export function badRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError(400, message, 'invalid_request_error', param, code);
}

export function missingParam(param: string): ApiError {
  return badRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
}

export function invalidType(param: string, expected: string, got: unknown): ApiError {
  return badRequest(`Invalid type for '${param}': expected ${expected}, but got ${describe(got)} instead.`, param, 'invalid_type');
}

export function invalidValue(param: string, message: string): ApiError {
  return badRequest(message, param, 'invalid_value');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(value) ? 'an integer' : 'a decimal';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
