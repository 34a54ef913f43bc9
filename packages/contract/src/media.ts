import { Type, type Static } from 'typebox';
import { Id } from './common.js';

export const MediaStatus = Type.Union([
  Type.Literal('uploading'),
  Type.Literal('processing'),
  Type.Literal('ready'),
  Type.Literal('failed'),
]);

export const Variant = Type.Object({
  url: Type.String(),
  width: Type.Integer(),
  height: Type.Integer(),
  format: Type.String(),
});

export const MediaRef = Type.Object(
  {
    id: Id,
    status: MediaStatus,
    error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
    width: Type.Union([Type.Integer(), Type.Null()]),
    height: Type.Union([Type.Integer(), Type.Null()]),
    blurhash: Type.Union([Type.String(), Type.Null()]),
    dominantColor: Type.Union([Type.String(), Type.Null()]),
    altText: Type.Union([Type.String(), Type.Null()]),
    variants: Type.Union([
      Type.Object({ thumb: Variant, small: Variant, medium: Variant, large: Variant }),
      Type.Null(),
    ]),
  },
  { title: 'MediaRef' },
);
export type MediaRef = Static<typeof MediaRef>;

export const CreateUploadBody = Type.Object(
  {
    contentType: Type.String({ minLength: 1, maxLength: 100, description: 'the MIME type of the file' }),
    size: Type.Integer({ minimum: 1, description: 'bytes; at most 52,428,800 (50 MiB)' }),
  },
  { additionalProperties: false },
);
export type CreateUploadBody = Static<typeof CreateUploadBody>;

export const UploadTarget = Type.Object({
  method: Type.Literal('PUT'),
  url: Type.String(),
  headers: Type.Record(Type.String(), Type.String()),
  expiresAt: Type.String({ format: 'date-time' }),
});

export const UploadSlot = Type.Object({ media: MediaRef, upload: UploadTarget });
export type UploadSlot = Static<typeof UploadSlot>;

export const MediaEnvelope = Type.Object({ media: MediaRef });
export type MediaEnvelope = Static<typeof MediaEnvelope>;

export const MediaIdParams = Type.Object({ id: Id }, { additionalProperties: false });
