/**
 * Headless Chromium for looking at the rendered job summaries (`npm run screenshot`,
 * __tests__/e2e/render.e2e.test.ts): Debian's `chromium` (scripts/setup-test-deps.sh installs it;
 * `CHROMIUM` names another Chromium-based browser) driven by `playwright-core`, with an empty
 * profile in a temp folder and no network: every request but `file:`, `data:` and `about:` is
 * refused and recorded.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM || '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  readonly context: BrowserContext;
  /** URLs the pages asked for that were refused (anything but file:, data:, about:). */
  readonly refused: string[];
  close(): Promise<void>;
}

export async function launchChromium(
  options: {
    viewport?: { width: number; height: number };
    deviceScaleFactor?: number;
    timezoneId?: string;
  } = {},
): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: run scripts/setup-test-deps.sh (apt-get install chromium), or set CHROMIUM`,
    );
  }
  // An empty profile (Playwright passes it as --user-data-dir), removed on close.
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    viewport: options.viewport ?? { width: 1100, height: 900 },
    deviceScaleFactor: options.deviceScaleFactor ?? 1,
    timezoneId: options.timezoneId,
    colorScheme: 'light',
  });
  const refused: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (/^(file|data|about):/.test(url)) return route.continue();
    refused.push(url);
    return route.abort('blockedbyclient');
  });
  return {
    context,
    refused,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until the page of scripts/render-summaries.ts has run Mermaid; says how it went. (The
 * page's code is given as text: this project compiles without the DOM's types.)
 */
export async function mermaidOutcome(
  page: Page,
  timeoutMs = 60_000,
): Promise<{ state: string; error?: string; version?: string }> {
  await page.waitForFunction('document.documentElement.dataset.mermaid', null, { timeout: timeoutMs });
  return (await page.evaluate(`({
    state: document.documentElement.dataset.mermaid,
    error: document.documentElement.dataset.mermaidError,
    version: document.documentElement.dataset.mermaidVersion,
  })`)) as { state: string; error?: string; version?: string };
}
