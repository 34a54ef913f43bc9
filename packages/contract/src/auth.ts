import { Type, type Static } from 'typebox';
import { Text } from './common.js';
import { Me, Username } from './users.js';
import { PASSWORD_MIN, PASSWORD_MAX } from './limits.js';

/** Passwords are taken verbatim: never trimmed, any Unicode, 8-128 code points. */
export const Password = Type.String({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX });
/** Opaque refresh token: 43 base64url characters (256 random bits). */
export const RefreshToken = Type.String({ minLength: 1, maxLength: 200 });

export const RegisterBody = Type.Object(
  {
    username: Username,
    email: Text({ minLength: 3, maxLength: 254, format: 'email' }),
    password: Password,
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object(
  {
    login: Text({ minLength: 1, maxLength: 254, description: 'username or email' }),
    password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const RefreshBody = Type.Object({ refreshToken: RefreshToken }, { additionalProperties: false });
export type RefreshBody = Static<typeof RefreshBody>;

export const ChangePasswordBody = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }), newPassword: Password },
  { additionalProperties: false },
);
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

export const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  expiresIn: Type.Integer({ description: 'seconds until the access token expires' }),
});
export type TokenPair = Static<typeof TokenPair>;

export const AuthResult = Type.Object({
  user: Me,
  accessToken: Type.String(),
  refreshToken: Type.String(),
  expiresIn: Type.Integer(),
});
export type AuthResult = Static<typeof AuthResult>;
