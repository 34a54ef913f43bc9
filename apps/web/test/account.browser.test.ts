import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../../server/test/support/process.js';
import { chromiumAvailable, launchChromium } from './browser.js';

const WEB = fileURLToPath(new URL('..', import.meta.url));

describe.runIf(await chromiumAvailable())('web app in a real browser', { timeout: 120_000 }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    // The server serves apps/web/dist, as after `npm start`; build it from this checkout.
    await promisify(execFile)(process.execPath, [join(WEB, '../../node_modules/vite/bin/vite.js'), 'build'], {
      cwd: WEB,
    });
    dataDir = await mkdtemp(join(tmpdir(), 'glimpse-web-e2e-'));
    server = await startServer(null, { DATA_DIR: dataDir });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('signs up, edits the profile, survives a reload, and logs out', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // 4xx answers are expected here (they are the point); any other console error is not.
    page.on(
      'console',
      (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()),
    );
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Username').fill('browser_user');
    await page.getByLabel('Email').fill('browser@example.com');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => page.getByText('Password must be at least 8 characters.').isVisible()).toBe(true);

    await page.getByLabel('Password').fill('a browser passphrase');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: 'browser_user' }).waitFor();
    await page.getByLabel('Name').fill('Browser Person');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('heading', { name: 'Browser Person' }).waitFor();

    await page.reload();
    await page.getByRole('heading', { name: 'Browser Person' }).waitFor();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();

    await page.getByLabel('Username or email').fill('browser@example.com');
    await page.getByLabel('Password').fill('wrong password!');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'The username, email or password is not correct.' })
      .waitFor();
    expect(errors).toEqual([]);
  });
});
