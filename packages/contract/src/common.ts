import { Type, type Static } from 'typebox';

/**
 * 64-bit time-sortable id, always a decimal string on the wire (JSON numbers lose precision
 * above 2^53). The `id` format also bounds it to PostgreSQL's bigint range.
 */
export const Id = Type.String({ format: 'id', examples: ['240518168339505152'] });

/** ISO-8601 UTC timestamp. */
export const Timestamp = Type.String({ format: 'date-time' });

/**
 * A user-supplied text field: leading/trailing whitespace is removed before validation
 * (the server honours `x-trim`), lengths count Unicode code points.
 */
export function Text(options: {
  minLength?: number;
  maxLength: number;
  pattern?: string;
  format?: string;
  description?: string;
}) {
  return Type.String({ ...options, 'x-trim': true });
}

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable snake_case identifier' }),
      message: Type.String({ description: 'human sentence' }),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    }),
  },
  { title: 'Error' },
);
export type ErrorBody = Static<typeof ErrorBody>;

export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
