import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../../server/test/support/process.js';
import { buildWeb, chromiumAvailable, launchChromium } from './browser.js';

describe.runIf(await chromiumAvailable())('web app in a real browser', { timeout: 120_000 }, () => {
  let server: ServerProcess;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    // The server serves apps/web/dist, as after `npm start`; built once for all browser files.
    await buildWeb();
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
    await page.getByRole('link', { name: 'Profile', exact: true }).waitFor();
    await page.goto(`${server.url}/settings`);
    await page.getByLabel('Name').fill('Browser Person');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.goto(`${server.url}/u/browser_user`);
    await page.getByRole('heading', { name: 'browser_user', exact: true }).waitFor();
    await page.getByText('Browser Person').first().waitFor();

    await page.reload();
    await page.getByText('Browser Person').first().waitFor();
    await page.goto(`${server.url}/settings`);
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
