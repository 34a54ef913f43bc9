import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import { isId } from '../lib/ids.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv, formats: string[]) => Ajv;

function createAjv(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    coerceTypes,
    useDefaults: true,
    // Unknown fields are an error (API.md), never silently dropped.
    removeAdditional: false,
    strict: true,
    allowUnionTypes: true,
  });
  addFormats(ajv, ['email', 'date-time', 'uri']);
  ajv.addFormat('id', { type: 'string', validate: isId });
  // Annotation read by trimStrings() below; Ajv only needs to know it exists.
  ajv.addKeyword({ keyword: 'x-trim', schemaType: 'boolean' });
  return ajv;
}

/** JSON bodies keep their types ("8" is not a number); query strings and params are text and get coerced. */
const bodyAjv = createAjv(false);
const textAjv = createAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema as object) as ValidateFunction;

type SchemaNode = {
  'x-trim'?: boolean;
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
};

/** Trims the strings whose schema says `x-trim`, before validation measures them. */
export function trimStrings(schema: SchemaNode | undefined, value: unknown): unknown {
  if (!schema) return value;
  if (typeof value === 'string') {
    return schema['x-trim'] || schema.anyOf?.some((s) => s['x-trim']) ? value.trim() : value;
  }
  if (Array.isArray(value)) return schema.items ? value.map((v) => trimStrings(schema.items, v)) : value;
  if (value !== null && typeof value === 'object' && schema.properties) {
    const object = value as Record<string, unknown>;
    for (const [key, child] of Object.entries(schema.properties)) {
      if (Object.hasOwn(object, key)) object[key] = trimStrings(child, object[key]);
    }
  }
  return value;
}

export function bodySchemaOf(schema: FastifySchema | undefined): SchemaNode | undefined {
  return schema?.body as SchemaNode | undefined;
}

/**
 * Turns Ajv's errors into `details.fields`: one human sentence per bad field, keyed by its
 * path (`email`, `altTexts.3`). A problem with the whole body is keyed `body`.
 */
export function fieldErrors(errors: readonly ErrorObject[], context: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const error of errors) {
    const path = error.instancePath
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let message: string;
    switch (error.keyword) {
      case 'required':
        path.push(String(error.params.missingProperty));
        message = 'is required';
        break;
      case 'additionalProperties':
        path.push(String(error.params.additionalProperty));
        message = 'is not an accepted field';
        break;
      case 'type':
        message =
          path.length === 0 && context === 'body'
            ? 'must be a JSON object'
            : `must be ${article(String(error.params.type))}`;
        break;
      case 'minLength':
        message =
          error.params.limit === 1
            ? 'must not be empty'
            : `must be at least ${String(error.params.limit)} characters`;
        break;
      case 'maxLength':
        message = `must be at most ${String(error.params.limit)} characters`;
        break;
      case 'minimum':
      case 'maximum':
        message = `must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(error.params.limit)}`;
        break;
      case 'minItems':
      case 'maxItems':
        message = `must have ${error.keyword === 'minItems' ? 'at least' : 'at most'} ${String(error.params.limit)} items`;
        break;
      case 'minProperties':
        message = 'must contain at least one field';
        break;
      case 'uniqueItems':
        message = 'must not contain duplicates';
        break;
      case 'format':
        message =
          FORMAT_MESSAGES[String(error.params.format)] ?? `must be a valid ${String(error.params.format)}`;
        break;
      case 'pattern': {
        const description = (error.parentSchema as { description?: string } | undefined)?.description;
        message = description ? `has an invalid format (${description})` : 'has an invalid format';
        break;
      }
      case 'enum':
      case 'const':
      case 'anyOf':
        message = 'is not one of the accepted values';
        break;
      default:
        message = error.message ?? 'is invalid';
    }
    const key = path.length > 0 ? path.join('.') : context === 'body' ? 'body' : context;
    // Keep the first (most specific) message per field; anyOf adds a generic one after its branches.
    fields[key] ??= message;
  }
  return fields;
}

const FORMAT_MESSAGES: Record<string, string> = {
  id: 'must be an id (a decimal string)',
  email: 'must be an email address',
  'date-time': 'must be an ISO-8601 date-time',
};

function article(type: string): string {
  if (type === 'integer') return 'a whole number';
  if (type === 'object' || type === 'array') return `an ${type}`;
  return type.includes(',') ? `one of ${type}` : `a ${type}`;
}
