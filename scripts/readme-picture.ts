/**
 * The README's picture: the job summary of the demo's failed `deploy-api` (its health check
 * fails, the deployment is rolled back) as GitHub renders it.
 *
 * The demo's numbers are fixed (the steps' durations, run ids, gantt times from the first start);
 * what varies from run to run is where it ran: the loopback ports of its Pushgateway and
 * Prometheus, and the temp folder of the emulated runner. {@link normalizeSummary} writes those as
 * a hosted runner would show them and nothing else. `docs/images/failed-deploy-summary.html` is the
 * summary's HTML, committed: a test regenerates it from a fresh demo run and compares
 * (__tests__/e2e/render.e2e.test.ts, `npm run screenshot -- --check`), and `npm run screenshot`
 * rewrites it and the PNG taken from it.
 *
 * One number is not fixed: the deployment's total ("6m 10s of 15m 00s allowed") counts from the
 * job's start, so it includes the emulated runner's own steps before the deploy steps ("Set up
 * job", the action's pre and main), which the emulator dates by their real time rounded up to
 * whole seconds: a second or two more on a loaded machine. {@link sameSummaryHtml} lets that one
 * number differ by at most {@link TOTAL_SLACK_SECONDS}; everything else must be equal.
 */
import { renderSummary } from './render-summaries.js';

/** The demo job (its folder in the demo output) the picture shows. */
export const PICTURE_JOB = '4-deploy-api';
export const PICTURE_HTML = 'docs/images/failed-deploy-summary.html';
export const PICTURE_PNG = 'docs/images/failed-deploy-summary.png';

const RULES: readonly { what: string; from: RegExp; to: string }[] = [
  {
    what: 'the Pushgateway URL',
    from: /(Pushgateway )http(\\?):\/\/127\.0\.0\.1:\d+/g,
    to: '$1http$2://pushgateway:9091',
  },
  {
    what: 'the remote-write URL',
    from: /(Remote-written to )http(\\?):\/\/127\.0\.0\.1:\d+/g,
    to: '$1http$2://prometheus:9090',
  },
  {
    what: "the runner's temp folder",
    from: /\/tmp\/runner-emulator-[^/`\s]+\/_temp\//g,
    to: '/home/runner/work/_temp/',
  },
];

/** The summary with the run's ports and temp folder written as on a hosted runner; throws on anything else local. */
export function normalizeSummary(markdown: string): string {
  let out = markdown;
  for (const rule of RULES) out = out.replace(rule.from, rule.to);
  const left = /127\.0\.0\.1:\d+|\/tmp\/runner-emulator-/.exec(out);
  if (left) {
    throw new Error(
      `the summary still holds a machine-specific value (${left[0]}): teach scripts/readme-picture.ts to write it`,
    );
  }
  return out;
}

/** The committed HTML: the normalized summary rendered as GFM (Mermaid blocks as their source). */
export function pictureHtml(summaryMarkdown: string): string {
  return renderSummary(normalizeSummary(summaryMarkdown));
}

/** How far the deployment's total may be from the committed one (the runner's own steps, see above). */
export const TOTAL_SLACK_SECONDS = 3;

/** The deployment line's total, e.g. `Deployment <code>9100002</code> · 6m 10s of`. */
const TOTAL = /(Deployment <code>[^<]*<\/code> · )((?:\d+h )?(?:\d+m )?\d+s)( of )/;

function seconds(duration: string): number {
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)([hms])/g))
    total += Number(n) * { h: 3600, m: 60, s: 1 }[unit as 'h'];
  return total;
}

/**
 * Whether two renderings of the picture's summary show the same thing: equal, but for the
 * deployment's total, which may differ by at most {@link TOTAL_SLACK_SECONDS}.
 */
export function sameSummaryHtml(a: string, b: string): boolean {
  const ta = TOTAL.exec(a)?.[2];
  const tb = TOTAL.exec(b)?.[2];
  if (ta === undefined || tb === undefined) return a === b;
  return (
    a.replace(TOTAL, '$1…$3') === b.replace(TOTAL, '$1…$3') &&
    Math.abs(seconds(ta) - seconds(tb)) <= TOTAL_SLACK_SECONDS
  );
}
