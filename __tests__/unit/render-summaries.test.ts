/**
 * scripts/render-summaries.ts and scripts/readme-picture.ts without a browser: the GFM HTML of a
 * summary (tables, alerts, Mermaid blocks left for Mermaid), the page around it, and how the README
 * picture's summary is made the same on every demo run. The browser side is
 * __tests__/e2e/render.e2e.test.ts.
 */
import { describe, expect, test } from '@jest/globals';
import { normalizeSummary, pictureHtml, sameSummaryHtml } from '../../scripts/readme-picture.js';
import { escapeHtml, renderSummary, summariesPage } from '../../scripts/render-summaries.js';

describe('renderSummary', () => {
  test('GFM tables with their alignment, and a Mermaid block as the text Mermaid reads', () => {
    const html = renderSummary(
      [
        '| Stage | Duration |',
        '|---|---:|',
        '| build | 1m 35s |',
        '',
        '```mermaid',
        'gantt',
        '  title a <b> & c',
        '```',
        '',
        '```sh',
        'echo hi',
        '```',
      ].join('\n'),
    );
    expect(html).toContain('<table>');
    expect(html).toContain('<td align="right">1m 35s</td>');
    expect(html).toContain('<pre class="mermaid">gantt\n  title a &lt;b&gt; &amp; c</pre>');
    expect(html).toContain('<pre><code class="language-sh">echo hi\n</code></pre>');
  });

  test("GitHub's alerts", () => {
    expect(renderSummary('> [!NOTE]\n> History was empty.')).toContain('markdown-alert markdown-alert-note');
  });
});

describe('summariesPage', () => {
  const page = summariesPage({
    title: 'T <1>',
    entries: [
      { id: '1-deploy-api', job: 'deploy-api', caption: 'why & how', markdown: '## ✅ ok' },
      { id: 'x', job: 'x', html: '<p>given</p>' },
    ],
    mermaid: 'mermaid10',
  });

  test('one section per entry, titled as GitHub titles a summary; text escaped', () => {
    expect(page).toContain('<title>T &lt;1&gt;</title>');
    expect(page).toContain('<section class="job" id="job-1-deploy-api" data-job="1-deploy-api">');
    expect(page).toContain('<h2>deploy-api summary</h2>');
    expect(page).toContain('<p class="caption">why &amp; how</p>');
    expect(page).toContain('<h2>✅ ok</h2>');
    expect(page).toContain('<p>given</p>');
  });

  test('self-contained: Mermaid inlined (its version on <html>), no external URL in a src or href', () => {
    expect(page).toMatch(/<html lang="en" data-mermaid-version="10\.\d+\.\d+">/);
    expect(page).toContain('mermaid.run(');
    const markup = page.replace(/<script>[\s\S]*?<\/script>/g, '<script></script>');
    expect(markup.length).toBeLessThan(100_000); // the CSS and the summaries, Mermaid's code left out
    expect(/<(script|link|img)\b[^>]*(src|href)=/.exec(markup)?.[0]).toBeUndefined();
    // Inlined script text never closes its element early.
    const scripts = page.split('<script>').slice(1);
    for (const s of scripts) expect(s.indexOf('</script>')).toBe(s.lastIndexOf('</script>'));
  });

  test('escapeHtml', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe("the README picture's summary", () => {
  const summary = [
    '## ❌ Deployment failed at health_check: api · production',
    '',
    'Deployment `9100002` · 6m 10s of 15m 00s allowed · branch `main`',
    '',
    '- ✔ Pushed to the Pushgateway http\\://127.0.0.1:41059 group `{job="deployment"}`',
    '- ✔ Remote-written to http\\://127.0.0.1:45671/api/v1/write group `{job="deployment"}`',
    '- ✔ Metrics file: `/tmp/runner-emulator-deploy-api-rTkZFU/_temp/deployment-metrics.prom`',
  ].join('\n');

  test('ports and the temp folder written as on a hosted runner; nothing else changes', () => {
    expect(normalizeSummary(summary).split('\n').slice(4)).toEqual([
      '- ✔ Pushed to the Pushgateway http\\://pushgateway:9091 group `{job="deployment"}`',
      '- ✔ Remote-written to http\\://prometheus:9090/api/v1/write group `{job="deployment"}`',
      '- ✔ Metrics file: `/home/runner/work/_temp/deployment-metrics.prom`',
    ]);
    expect(normalizeSummary(summary).split('\n').slice(0, 4)).toEqual(summary.split('\n').slice(0, 4));
  });

  test('a machine-specific value it does not know fails loudly', () => {
    expect(() => normalizeSummary('- pushed to http://127.0.0.1:9999')).toThrow(/127\.0\.0\.1:9999/);
  });

  test("the deployment's total may differ by up to 3 s, nothing else may", () => {
    const html = pictureHtml(summary);
    const total = (t: string): string => html.replace('6m 10s of', `${t} of`);
    expect(sameSummaryHtml(html, html)).toBe(true);
    expect(sameSummaryHtml(total('6m 13s'), html)).toBe(true);
    expect(sameSummaryHtml(total('6m 07s'), html)).toBe(true);
    expect(sameSummaryHtml(total('6m 14s'), html)).toBe(false);
    expect(sameSummaryHtml(html.replace('health_check', 'smoke_test'), html)).toBe(false);
  });
});
