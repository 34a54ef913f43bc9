import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type ServerProcess } from '../../server/test/support/process.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const WEB = fileURLToPath(new URL('..', import.meta.url));
export const REPO = join(WEB, '../..');
/** Screenshots and the budget figures land here (gitignored), for people to look at. */
export const RESULTS = join(REPO, 'test-results');
export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

/** Debian's Chromium, driven by playwright-core (no browser download). Required in CI. */
export async function chromiumAvailable(): Promise<boolean> {
  try {
    await access(CHROMIUM);
    return true;
  } catch {
    if (process.env.CI === 'true')
      throw new Error(`Chromium is required in CI but ${CHROMIUM} is missing (apt-get install chromium)`);
    console.warn(`[skip] Chromium not found at ${CHROMIUM}; browser suites are skipped`);
    return false;
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  const entries = await readdir(path);
  const times = await Promise.all(entries.map((e) => newestMtime(join(path, e))));
  return Math.max(info.mtimeMs, ...times);
}

async function distIsFresh(): Promise<boolean> {
  try {
    const built = (await stat(join(WEB, 'dist/index.html'))).mtimeMs;
    const inputs = ['src', 'public', 'index.html', 'vite.config.ts', '../../packages/contract/src'];
    const newest = Math.max(...(await Promise.all(inputs.map((p) => newestMtime(join(WEB, p))))));
    return built > newest;
  } catch {
    return false;
  }
}

/**
 * Builds apps/web/dist from this checkout, as `npm start` serves it. Browser test files run in
 * parallel and share dist/, so one builds under a lock and the others reuse a fresh build: a
 * rebuild while another file's server is serving would empty dist/ under its feet.
 */
export async function buildWeb(): Promise<void> {
  const lock = join(tmpdir(), `glimpse-web-build-${Buffer.from(REPO).toString('hex').slice(-24)}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      // A lock left by a killed run is stale after a build's worth of time.
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 180_000) await rm(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`could not take the build lock ${lock}`);
      await sleep(200);
    }
  }
  try {
    if (await distIsFresh()) return;
    // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
    await promisify(execFile)(process.execPath, [join(REPO, 'node_modules/vite/bin/vite.js'), 'build'], {
      cwd: WEB,
      env: { ...process.env, NODE_ENV: 'production' },
    });
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

export interface WebServer {
  readonly url: string;
  readonly server: ServerProcess;
  close(): Promise<void>;
}

/**
 * The README's embedded shape (`main.ts all`: PGlite, local disk, in-process workers), or the
 * service shape when `env` names the services.
 */
export async function startWebServer(env: Record<string, string> = {}): Promise<WebServer> {
  await buildWeb();
  const dataDir = await mkdtemp(join(tmpdir(), 'glimpse-web-e2e-'));
  const server = await startServer(null, { DATA_DIR: dataDir, ...env });
  return {
    url: server.url,
    server,
    close: async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Collects page errors and console errors. 4xx answers the test provokes log "Failed to load
 * resource" and are the point; anything else is a bug.
 */
export function watchErrors(page: Page, label: string): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`${label}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      errors.push(`${label}: ${m.text()}`);
  });
  return errors;
}

/** `test-results/screenshots/<screen>-<w>x<h>.png` at the current viewport. */
export async function screenshot(page: Page, screen: string): Promise<void> {
  const size = page.viewportSize() ?? PHONE;
  await mkdir(join(RESULTS, 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(RESULTS, 'screenshots', `${screen}-${size.width}x${size.height}.png`) });
}

/** Both sizes of one screen; the page ends at the size it started with. */
export async function screenshotBoth(page: Page, screen: string, settle?: () => Promise<void>) {
  const start = page.viewportSize() ?? PHONE;
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    await settle?.();
    await page.waitForTimeout(150);
    await screenshot(page, screen);
  }
  await page.setViewportSize(start);
}

/** Every <img> needs alt; an empty one is only for decoration (avatars). */
export async function imagesWithoutAlt(page: Page): Promise<string[]> {
  return page.$$eval('img', (imgs) =>
    imgs
      .filter((img) => {
        const alt = img.getAttribute('alt');
        if (alt === null) return true;
        return alt.trim() === '' && !img.closest('.avatar') && !img.classList.contains('avatar');
      })
      .map((img) => img.outerHTML.slice(0, 160)),
  );
}
