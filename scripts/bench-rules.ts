/**
 * `npx tsx scripts/bench-rules.ts [--services N] [--days D] [--samples S]`: what the recording groups
 * cost on a Prometheus holding D days (default 35) of the action's counters scraped every 15 s, the
 * way a Prometheus scraping the Pushgateway stores them.
 *
 * 1. Writes one OpenMetrics file per day (N services × `deployment_runs_total` by status, the
 *    health-check counters, the migration counters; a few deployments a day) and backfills each with
 *    `promtool tsdb create-blocks-from openmetrics` (one file per day: promtool parses its input
 *    once per 2-hour block).
 * 2. Starts Debian's Prometheus on that TSDB with the shipped recording rules, evaluated every 15 s
 *    (`interval:` lines removed, so every group runs at the global interval: the cost of one
 *    evaluation does not depend on how often it runs), and reads each group's `evaluationTime` from
 *    `/api/v1/rules` after each of S evaluations (default 8).
 * 3. Prints, per group, the median time of one evaluation and the CPU-seconds an hour at 15 s and at
 *    the shipped interval, as a Markdown table. Stops Prometheus by PID and removes its files.
 *
 * A benchmark, not a test: nothing asserts on wall time. Figures: docs/rule-evaluation-cost.md.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { startService } from '../tools/services/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RULES = path.join(ROOT, 'deploy', 'prometheus', 'rules', 'deployment-recording.yml');
const SCRAPE_S = 15;
const DAY_S = 86_400;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

interface Counter {
  readonly name: string;
  readonly labels: string;
  value: number;
}

/** The counters a group of services holds, and how they move at each deployment. */
function counters(services: number): { all: Counter[]; deploy: (rand: () => number) => void } {
  const all: Counter[] = [];
  const env = 'environment="production",job="deployment"';
  const per: { runs: Record<string, Counter>; hc: Counter; hcFail: Counter }[] = [];
  for (let s = 0; s < services; s++) {
    const svc = `service="svc${String(s).padStart(2, '0')}"`;
    const runs: Record<string, Counter> = {};
    for (const status of ['success', 'failure', 'cancelled']) {
      runs[status] = { name: 'deployment_runs_total', labels: `${env},${svc},status="${status}"`, value: 0 };
      all.push(runs[status]!);
    }
    const hc = { name: 'api_health_check_total', labels: `${env},${svc}`, value: 0 };
    const hcFail = { name: 'api_health_check_failures_total', labels: `${env},${svc}`, value: 0 };
    all.push(hc, hcFail);
    per.push({ runs, hc, hcFail });
  }
  const migOk = { name: 'migration_success_total', labels: env, value: 0 };
  const migFail = { name: 'migration_failure_total', labels: env, value: 0 };
  all.push(migOk, migFail);
  return {
    all,
    deploy: (rand) => {
      const p = per[Math.floor(rand() * per.length)]!;
      const r = rand();
      p.runs[r < 0.9 ? 'success' : r < 0.97 ? 'failure' : 'cancelled']!.value++;
      p.hc.value += 10;
      if (rand() < 0.05) p.hcFail.value += 1;
      if (rand() < 0.2) (rand() < 0.95 ? migOk : migFail).value++;
    },
  };
}

/** A small deterministic generator, so two runs build the same TSDB. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function writeDay(
  file: string,
  from: number,
  c: ReturnType<typeof counters>,
  rand: () => number,
  perDay: number,
): Promise<number> {
  const out = createWriteStream(file);
  const write = (s: string): Promise<void> =>
    out.write(s) ? Promise.resolve() : new Promise((r) => out.once('drain', () => r()));
  const types = new Set<string>();
  for (const k of c.all) {
    if (types.has(k.name)) continue;
    types.add(k.name);
    await write(`# TYPE ${k.name.replace(/_total$/, '')} counter\n`);
  }
  let lines = 0;
  const step = SCRAPE_S;
  const chance = (perDay * step) / DAY_S;
  // OpenMetrics wants a family's samples together: one pass per series over the day.
  const ticks = DAY_S / step;
  const deploysAt: number[] = [];
  for (let i = 0; i < ticks; i++) if (rand() < chance) deploysAt.push(i);
  const snapshots: number[][] = [];
  let d = 0;
  for (let i = 0; i < ticks; i++) {
    for (; d < deploysAt.length && deploysAt[d] === i; d++) c.deploy(rand);
    snapshots[i] = c.all.map((k) => k.value);
  }
  for (let k = 0; k < c.all.length; k++) {
    const s = c.all[k]!;
    let last = 0;
    let chunk = '';
    for (let i = 0; i < ticks; i++) {
      last = snapshots[i]?.[k] ?? last;
      chunk += `${s.name}{${s.labels}} ${last} ${from + i * step}\n`;
      lines++;
      if (chunk.length > 1 << 16) {
        await write(chunk);
        chunk = '';
      }
    }
    await write(chunk);
  }
  await write('# EOF\n');
  await new Promise<void>((r) => out.end(() => r()));
  return lines;
}

/** The shipped recording rules with every `interval:` removed: each group at the global 15 s. */
async function rulesAtGlobalInterval(dir: string): Promise<{ file: string; shipped: Map<string, number> }> {
  const doc = parse(await readFile(RULES, 'utf8')) as { groups: { name: string; interval?: string }[] };
  const shipped = new Map<string, number>();
  for (const g of doc.groups) {
    shipped.set(g.name, g.interval ? Number(/^(\d+)m$/.exec(g.interval)?.[1] ?? NaN) * 60 : SCRAPE_S);
    delete g.interval;
  }
  const file = path.join(dir, 'rules.yml');
  await writeFile(file, stringify(doc));
  return { file, shipped };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const services = arg('services', 6);
  const days = arg('days', 35);
  const samples = arg('samples', 8);
  const perDay = 4;
  const work = await mkdtemp(path.join(tmpdir(), 'bench-rules-'));
  const data = path.join(work, 'data');
  await mkdir(data);
  const c = counters(services);
  const rand = mulberry32(42);
  const now = Math.floor(Date.now() / 1000);
  const start = Math.floor((now - days * DAY_S) / DAY_S) * DAY_S;
  let lines = 0;
  const t0 = Date.now();
  try {
    for (let day = 0; start + day * DAY_S < now; day++) {
      const file = path.join(work, `day-${day}.om`);
      lines += await writeDay(file, start + day * DAY_S, c, rand, perDay);
      const r = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '-q', file, data], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`promtool failed on day ${day}: ${r.stderr || r.stdout}`);
      await rm(file);
      process.stderr.write(`\rbackfilled ${day + 1} days`);
    }
    process.stderr.write(
      `\n${c.all.length} series, ${lines} samples, backfilled in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
    );
    const { file: rulesFile, shipped } = await rulesAtGlobalInterval(work);
    const config = path.join(work, 'prometheus.yml');
    await writeFile(
      config,
      stringify({ global: { scrape_interval: '15s', evaluation_interval: '15s' }, rule_files: [rulesFile] }),
    );
    const prom = await startService(
      {
        name: 'Prometheus',
        binaries: ['prometheus'],
        debianPackage: 'prometheus',
        args: (port) => [
          `--config.file=${config}`,
          `--storage.tsdb.path=${data}`,
          '--storage.tsdb.retention.time=90d',
          `--web.listen-address=127.0.0.1:${port}`,
        ],
      },
      { dataDir: work, ownsDataDir: false },
    );
    const seen = new Map<string, Map<string, number>>();
    try {
      // Read each group's last evaluation until every group has `samples` distinct ones.
      const deadline = Date.now() + (samples + 4) * SCRAPE_S * 1000 + 60_000;
      while (Date.now() < deadline) {
        const body = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as {
          data: { groups: { name: string; lastEvaluation: string; evaluationTime: number }[] };
        };
        for (const g of body.data.groups) {
          if (g.lastEvaluation.startsWith('0001')) continue;
          const m = seen.get(g.name) ?? new Map<string, number>();
          m.set(g.lastEvaluation, g.evaluationTime);
          seen.set(g.name, m);
        }
        const done = [...seen.values()].every((m) => m.size > samples);
        if (seen.size > 0 && done) break;
        await new Promise((r) => setTimeout(r, 3000));
      }
    } finally {
      await prom.stop();
    }
    const load = loadavg()[0]!.toFixed(1);
    console.log(
      `${c.all.length} series over ${days} days at a ${SCRAPE_S} s scrape (${lines} samples); ${cpus().length} cores, load ${load}; median of ${samples} evaluations (the first one, with cold caches, left out)\n`,
    );
    console.log(
      '| group | one evaluation (median) | per series | CPU-s an hour at 15 s | shipped interval | CPU-s an hour as shipped |',
    );
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const [name, m] of seen) {
      const times = [...m.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .slice(1)
        .map(([, t]) => t);
      const med = median(times);
      const every = shipped.get(name) ?? SCRAPE_S;
      console.log(
        `| ${name} | ${(med * 1000).toFixed(1)} ms | ${((med * 1000) / c.all.length).toFixed(2)} ms | ${((med * 3600) / SCRAPE_S).toFixed(2)} | ${every} s | ${((med * 3600) / every).toFixed(2)} |`,
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
