/**
 * Every configured sink (Pushgateway, remote write) gets the same plans; each
 * keeps its own counters cumulative and carries its own failed counts.
 */
import type { Config } from '../config/inputs.js';
import type { Clock } from '../util/clock.js';
import { publishGroups, type GroupOutcome, type GroupPlan, type PublishOptions } from './publish.js';
import { PushgatewayClient } from './pushgateway.js';
import { describeGroup, type MetricsSink } from './sink.js';

/**
 * The sinks the inputs ask for: the Pushgateway first, then remote write. The
 * remote-write client (protobuf, snappy) is loaded only when it is used: it
 * would grow every bundle, and start-up, by a third.
 */
export async function metricsSinks(
  config: Pick<Config, 'pushgateway' | 'remoteWrite'>,
  clock: Clock,
): Promise<MetricsSink[]> {
  const sinks: MetricsSink[] = [];
  if (config.pushgateway) sinks.push(new PushgatewayClient(config.pushgateway, clock));
  if (config.remoteWrite) {
    const { RemoteWriteClient } = await import('./remote-write/writer.js');
    sinks.push(new RemoteWriteClient(config.remoteWrite, clock));
  }
  return sinks;
}

export interface Delivered {
  /** Every sink's outcomes, sink by sink. */
  readonly all: readonly GroupOutcome[];
  /** The first sink's outcomes (or the unsent families when there is none): what metrics-file shows. */
  readonly primary: readonly GroupOutcome[];
}

/** Publishes to every sink at once (a hung one does not hold the other up). Never throws. */
export async function deliverGroups(
  plans: readonly GroupPlan[],
  sinks: readonly MetricsSink[],
  options: Omit<PublishOptions, 'client'>,
): Promise<Delivered> {
  if (sinks.length === 0) {
    const primary = await publishGroups(plans, { ...options, client: undefined });
    return { all: [], primary };
  }
  const perSink = await Promise.all(sinks.map((sink) => publishGroups(plans, { ...options, client: sink })));
  return { all: perSink.flat(), primary: perSink[0] ?? [] };
}

/** One line per group and sink for the job summary and the log. */
export function outcomeText(outcome: GroupOutcome, store: string | undefined): { ok: boolean; text: string } {
  const group = `{${describeGroup(outcome.key)}}`;
  const sink = outcome.sink;
  const remote = sink?.name === 'remote write';
  const verb = remote ? 'Remote-written' : 'Pushed';
  // "Pushed to the Pushgateway http://…", "Remote-written to https://…/api/v1/push".
  const where = sink ? (remote ? sink.target : `${sink.name} ${sink.target}`) : 'nowhere';
  if (outcome.pushed) {
    const carried =
      outcome.carriedIn > 0
        ? `, with the counts of ${outcome.carriedIn} earlier deployment(s) whose push had failed`
        : '';
    return { ok: true, text: `${verb} to ${where} group \`${group}\`${carried}` };
  }
  const kept = outcome.carriedOut
    ? `counts kept in ${store} for the next successful push`
    : 'counts of this deployment are lost (no place to keep them)';
  const target = remote ? `remote-written to ${where} group` : 'pushed to';
  return {
    ok: false,
    text: `Not ${target} \`${group}\`: ${outcome.problem ?? 'unknown problem'}; ${kept}`,
  };
}
