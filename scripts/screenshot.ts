/**
 * `npm run screenshot`: the README's picture of a failed deployment's job summary.
 *
 * Reads the summary of the demo's failed `deploy-api` from demo-output/ (run `npm run demo`
 * first; `--from DIR` for another demo output), writes its rendered HTML, normalized so it is the
 * same on every run (scripts/readme-picture.ts), to docs/images/failed-deploy-summary.html, then
 * opens that HTML in headless Chromium with GitHub's Markdown style and Mermaid, and saves a
 * screenshot of it to docs/images/failed-deploy-summary.png. Commit both.
 *
 * `--check` writes nothing: it fails when the committed HTML differs from what the demo output
 * gives (but for the few seconds the deployment's total may vary: scripts/readme-picture.ts),
 * i.e. when the picture is stale. __tests__/e2e/render.e2e.test.ts runs the same check on
 * a fresh demo run.
 *
 * Needs Debian's chromium (scripts/setup-test-deps.sh) and, for the emoji, fonts-noto-color-emoji.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium, mermaidOutcome } from './chromium.js';
import { PICTURE_HTML, PICTURE_JOB, PICTURE_PNG, pictureHtml, sameSummaryHtml } from './readme-picture.js';
import { summariesPage } from './render-summaries.js';

const fromArg = process.argv.indexOf('--from');
const FROM = path.resolve(fromArg > 0 ? (process.argv[fromArg + 1] ?? '') : 'demo-output');
const CHECK = process.argv.includes('--check');

function readSummary(): string {
  const file = path.join(FROM, PICTURE_JOB, 'summary.md');
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new Error(`no ${path.relative(process.cwd(), file)}: run \`npm run demo\` first`);
  }
}

function hasEmojiFont(): boolean {
  try {
    return /emoji/i.test(execFileSync('fc-list', { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

async function screenshot(html: string): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'screenshot-'));
  const page = path.join(dir, 'page.html');
  writeFileSync(
    page,
    summariesPage({ title: 'deploy-full-stack', entries: [{ id: PICTURE_JOB, job: 'deploy-api', html }] }),
  );
  const browser = await launchChromium({ viewport: { width: 792, height: 900 }, deviceScaleFactor: 2 });
  try {
    const tab = await browser.context.newPage();
    await tab.goto(pathToFileURL(page).href);
    const mermaid = await mermaidOutcome(tab);
    if (mermaid.state !== 'done') throw new Error(`Mermaid ${mermaid.version} failed: ${mermaid.error}`);
    await tab.evaluate('document.fonts.ready.then(() => undefined)');
    await tab.locator('section.job').screenshot({ path: PICTURE_PNG, animations: 'disabled' });
    if (browser.refused.length > 0) throw new Error(`the page asked for ${browser.refused.join(', ')}`);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const html = pictureHtml(readSummary());
  if (CHECK) {
    let committed = '';
    try {
      committed = readFileSync(PICTURE_HTML, 'utf8');
    } catch {
      // Missing: stale.
    }
    if (!sameSummaryHtml(html, committed)) {
      console.error(
        `${PICTURE_HTML} differs from the summary in ${path.relative(process.cwd(), FROM) || '.'}: run \`npm run screenshot\` and commit docs/images/`,
      );
      return 1;
    }
    console.log(`${PICTURE_HTML} matches the demo's summary`);
    return 0;
  }
  if (!hasEmojiFont()) {
    console.warn(
      'no emoji font: the picture shows boxes for ✅ ❌ 🐢. apt-get install fonts-noto-color-emoji',
    );
  }
  writeFileSync(PICTURE_HTML, html);
  await screenshot(html);
  console.log(`wrote ${PICTURE_HTML} and ${PICTURE_PNG}`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`screenshot: ${(error as Error).message}`);
  process.exitCode = 1;
}
