import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is one PostgreSQL instance in this process: a second process opening the same
 * directory would corrupt it. Claims DATA_DIR with a pid file (a stale one, left by a crash,
 * is taken over) and returns the release function.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, 'glimpse.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && alive(pid)) {
        throw new DataDirInUseError(
          `${dataDir} is in use by another Glimpse process (pid ${pid}); stop it or choose another DATA_DIR`,
        );
      }
      await rm(path, { force: true });
    }
  }
  throw new DataDirInUseError(`could not claim ${dataDir}`);
}

/**
 * The embedded shape's JWT secret: 64 random bytes made on first start and kept (mode 0600)
 * so that sessions survive restarts. `wx` makes two racing first starts agree on one file.
 */
export async function embeddedJwtSecret(dataDir: string): Promise<Uint8Array> {
  const dir = join(dataDir, 'secrets');
  const path = join(dir, 'jwt-secret');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    await writeFile(path, randomBytes(64).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const secret = (await readFile(path, 'utf8')).trim();
  if (secret.length < 43) throw new Error(`${path} is damaged (too short); delete it to make a new secret`);
  return new TextEncoder().encode(secret);
}
