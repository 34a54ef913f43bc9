import argon2 from 'argon2';

/**
 * Argon2id at OWASP's recommended floor (19 MiB, 2 passes, 1 lane). Hashes are PHC strings,
 * so raising these later only needs `needsRehash` at the next successful login.
 */
export const ARGON2_PARAMS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** The same characters typed on two devices can arrive in different Unicode forms. */
const normalize = (password: string) => password.normalize('NFC');

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(normalize(password), ARGON2_PARAMS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, normalize(password));
  } catch {
    return false;
  }
}

export function needsRehash(hash: string): boolean {
  return argon2.needsRehash(hash, ARGON2_PARAMS);
}

let dummyHash: Promise<string> | null = null;

/**
 * Spends the same time as a real verification, for logins naming no account: the answer's
 * timing must not tell an attacker which usernames exist.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= argon2.hash('glimpse-timing-equaliser', ARGON2_PARAMS);
  await verifyPassword(await dummyHash, password);
  return false;
}
