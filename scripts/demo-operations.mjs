// The operations part of `npm run demo`: reads the running sample app's GET /health and GET /metrics,
// formats them for the report and checks them.
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 for the sample app's HTTP server. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** GET /health and GET /metrics of the app at `port`. */
export async function readOperations(port) {
  const base = `http://127.0.0.1:${port}`;
  const healthResponse = await fetch(`${base}/health`);
  const health = { status: healthResponse.status, body: await healthResponse.json() };
  const metricsResponse = await fetch(`${base}/metrics`);
  const metrics = { status: metricsResponse.status, text: await metricsResponse.text() };
  return { health, metrics };
}

/** Sample lines of the metrics: processed, dead-lettered and retried counters of the run's groups. */
export function metricLines(text, groupPrefix) {
  const wanted = [
    'kafka_consumer_records_processed_total{',
    'kafka_consumer_records_dead_lettered_total{',
    'kafka_consumer_records_retried_total{',
  ];
  return text
    .split('\n')
    .filter((line) => wanted.some((w) => line.startsWith(w)) && line.includes(`group="${groupPrefix}`));
}

/** The value of the metric line of `name` for `group` and `topic` (undefined when absent). */
export function metricValue(text, name, group, topic) {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{group="${group}",topic="${topic}"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** Report lines: the /health status and each group's entry on one line, then the metric lines. */
export function operationsReport({ health, metrics }, groupPrefix) {
  const groups = health.body?.details?.kafka?.groups ?? health.body?.info?.kafka?.groups ?? {};
  return [
    `GET /health -> ${health.status} ${JSON.stringify({ status: health.body?.status })}`,
    ...Object.entries(groups).map(([groupId, group]) => `  ${groupId.padEnd(48)} ${JSON.stringify(group)}`),
    `GET /metrics -> ${metrics.status} (${metrics.text.split('\n').length} lines), e.g.`,
    ...metricLines(metrics.text, groupPrefix).map((line) => `  ${line}`),
  ];
}

/** Checks: health up, and the billing group counted every valid order in its processed counter. */
export function verifyOperations({ health, metrics }, { billingGroup, ordersTopic, orders }) {
  const problems = [];
  if (health.status !== 200 || health.body?.status !== 'ok') {
    problems.push(`GET /health answered ${health.status} ${JSON.stringify(health.body)}`);
  }
  const processed = metricValue(metrics.text, 'kafka_consumer_records_processed_total', billingGroup, ordersTopic);
  if (metrics.status !== 200 || processed !== orders) {
    problems.push(`GET /metrics: billing processed_total ${processed}, expected ${orders}`);
  }
  return problems;
}
