import { LoginBody, RegisterBody, UpdateMeBody } from '@glimpse/contract';
import { describe, expect, it } from 'vitest';
import { trimStrings, validatorCompiler } from '../../src/http/validation.js';

const compile = (schema: object) =>
  validatorCompiler({ schema, httpPart: 'body', method: 'POST', url: '/' }) as unknown as ((
    v: unknown,
  ) => boolean) & {
    errors?: unknown[];
  };

describe('request validation', () => {
  it('trims only the fields whose schema asks for it', () => {
    const body = { username: '  Alice ', email: ' a@b.co ', password: '  spaced  ' };
    trimStrings(RegisterBody as never, body);
    expect(body).toEqual({ username: 'Alice', email: 'a@b.co', password: '  spaced  ' });
  });

  it('measures trimmed text in code points, not UTF-16 units', () => {
    const validate = compile(UpdateMeBody);
    expect(validate({ displayName: '🙂'.repeat(64) })).toBe(true);
    expect(validate({ displayName: '🙂'.repeat(65) })).toBe(false);
  });

  it('does not coerce JSON body types', () => {
    const validate = compile(LoginBody);
    expect(validate({ login: 'alice', password: 12345678 })).toBe(false);
  });

  it('rejects unknown fields instead of dropping them', () => {
    const validate = compile(LoginBody);
    const body = { login: 'alice', password: 'x', admin: true };
    expect(validate(body)).toBe(false);
    expect(body).toHaveProperty('admin');
  });
});
