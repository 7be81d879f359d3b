import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRIC_DEFINITIONS } from '../../libs/kafka-consumer/src/observability/consumer-metrics.js';
import { KAFKA_CONSUMER_EVENT_NAMES } from '../../libs/kafka-consumer/src/observability/consumer-events.js';
import { DEFAULT_METRICS_PREFIX } from '../../libs/kafka-consumer/src/options/observability.options.js';

// README's Operations tables list exactly the metrics and events the code defines.
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const operations = readme.slice(
  readme.indexOf('## Operations'),
  readme.indexOf('\n## ', readme.indexOf('## Operations') + 1),
);
const rows = (firstCell: RegExp) =>
  operations
    .split('\n')
    .filter((line) => firstCell.test(line))
    .map((line) => line.split('|').map((cell) => cell.trim()));

describe("README's Operations section", () => {
  it('documents every metric with its type and labels', () => {
    const documented = rows(/^\| `kafka_consumer_/).map(([, name, type, labels]) => ({
      name: name.replaceAll('`', ''),
      type,
      labels: labels.replaceAll('`', '').split(', '),
    }));
    const defined = Object.entries(METRIC_DEFINITIONS).map(([name, { type, labels }]) => ({
      name: `${DEFAULT_METRICS_PREFIX}${name}`,
      type,
      labels: [...labels],
    }));
    expect(documented.toSorted((a, b) => a.name.localeCompare(b.name))).toEqual(
      defined.toSorted((a, b) => a.name.localeCompare(b.name)),
    );
  });

  it('documents every event', () => {
    const documented = rows(/^\| `[a-z.-]+` \| /)
      .map(([, name]) => name.replaceAll('`', ''))
      .filter((name) => !name.startsWith('kafka_consumer_'));
    expect(documented.toSorted()).toEqual([...KAFKA_CONSUMER_EVENT_NAMES].toSorted());
  });
});
