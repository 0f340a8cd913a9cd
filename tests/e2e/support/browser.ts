import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; tests never download a browser. */
export const CHROMIUM_PATH = process.env.MEGA_CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for headless Chromium on a closed network as root: no sandbox (root), no GPU, and none
 * of the background connections (updates, sync, QUIC) that this machine refuses.
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Where screenshots go: kept as CI artifacts, ignored by git. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../test-artifacts/screenshots/', import.meta.url));

/**
 * True when Chromium is installed. Outside CI a missing browser skips the browser tests with a
 * loud message; under CI=true it fails the run (`.ci/run` installs Debian's chromium).
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const message = `Chromium is not installed at ${CHROMIUM_PATH}`;
  if (process.env.CI === 'true') throw new Error(`${message}; CI requires it (apt-get install chromium)`);
  process.stderr.write(`\n*** SKIPPING browser tests: ${message} ***\n\n`);
  return false;
}

export interface BrowserSession {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Saves a full-page PNG as `test-artifacts/screenshots/<name>.png` and returns its path. */
  screenshot(name: string, page?: Page): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(baseURL: string): Promise<BrowserSession> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Playwright gives the browser a fresh temporary profile of its own.
    args: CHROMIUM_ARGS,
  });
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return {
    browser,
    context,
    page,
    async screenshot(name, target = page) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await target.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await browser.close();
      if (errors.length > 0) throw new Error(`uncaught errors in the page: ${errors.join('; ')}`);
    },
  };
}
