// What the benchmarks share: the broker address, producing a backlog, running a scenario in its own
// process, the median / best of runs, the load average, and printing a Markdown table.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The project's root: scenario processes run from here (their paths are relative to it). */
export const root = fileURLToPath(new URL('../', import.meta.url));

/** KAFKA_BROKERS, else the local broker. */
export function brokersFromEnv() {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
}

/** A fresh consumer group name: each scenario process starts from the beginning of its topic. */
export function freshGroup(prefix = 'bench') {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** The 1, 5 and 15 minute load averages, with `digits` decimals. */
export function loadAverage(digits) {
  return loadavg()
    .map((x) => x.toFixed(digits))
    .join(', ');
}

/** Sends records 0..count-1 to `topic`, `chunk` records a request; `messageAt(i)` makes record i. */
export async function produceRecords(producer, topic, count, messageAt, chunk = 5000) {
  for (let sent = 0; sent < count; sent += chunk) {
    const n = Math.min(chunk, count - sent);
    await producer.send({ topic, messages: Array.from({ length: n }, (_, i) => messageAt(sent + i)) });
  }
}

/**
 * Creates `topic` with `partitions` partitions and sends it records 0..count-1 (`messageAt`, `chunk`:
 * see `produceRecords`) from a producer made with `producerOptions`.
 */
export async function produceBacklog(kafka, admin, { topic, partitions, count, messageAt, chunk, producerOptions }) {
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  const producer = kafka.producer(producerOptions);
  await producer.connect();
  await produceRecords(producer, topic, count, messageAt, chunk);
  await producer.disconnect();
}

/**
 * Runs every scenario once a round, `rounds` times, in order, logging each run's rate; `afterRun`
 * (optional) checks what a run did. Resolves to each scenario's results, by scenario.
 */
export async function runRounds(rounds, kinds, count, runOne, afterRun = async () => {}) {
  const results = new Map();
  for (let round = 0; round < rounds; round++) {
    for (const kind of kinds) {
      const result = await runOne(kind);
      results.set(kind, [...(results.get(kind) ?? []), result]);
      console.error(`  round ${round + 1} ${kind}: ${Math.round(count / (result.ms / 1000))} rec/s`);
      await afterRun(kind);
    }
  }
  return results;
}

/**
 * Table rows of `runRounds` results: the scenario's label, its best rate, that rate over the
 * `reference` scenario's, and its peak RSS.
 */
export function bestRateRows(results, scenarios, count, reference) {
  const rate = (kind) => count / (best(results.get(kind)).ms / 1000);
  const referenceRate = rate(reference);
  return scenarios.map(([kind, label]) => [
    label,
    Math.round(rate(kind)).toLocaleString('en-US'),
    (rate(kind) / referenceRate).toFixed(2),
    Math.max(...results.get(kind).map((r) => r.rssPeakMb)).toFixed(0),
  ]);
}

/**
 * Starts `script` (a TypeScript scenario, run through the test child-app loader) in its own Node
 * process with the BENCH_* variables every scenario reads, and `env` on top. Its stdout is piped,
 * its stderr inherited. `cpuProf`: the process writes a CPU profile to bench/profiles/.
 */
export function spawnScenario(
  script,
  { brokers, topic, group = freshGroup(), count, env = {}, nodeArgs = [], cpuProf = false, cwd = root },
) {
  return spawn(
    process.execPath,
    [
      ...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', 'bench/profiles'] : []),
      ...nodeArgs,
      '--import',
      './test/support/child-app/register.mjs',
      script,
    ],
    {
      cwd,
      env: {
        ...process.env,
        BENCH_BROKERS: brokers.join(','),
        BENCH_TOPIC: topic,
        BENCH_GROUP: group,
        BENCH_COUNT: String(count),
        ...env,
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
}

/**
 * Runs a scenario process to its end (see `spawnScenario`; `name` names it in errors) and resolves
 * to the JSON of its last stdout line. It is killed after `timeoutMs`; a failed exit rejects.
 */
export function runScenarioProcess(script, { name, timeoutMs = 300_000, ...options }) {
  return new Promise((resolve, reject) => {
    const child = spawnScenario(script, options);
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) return reject(new Error(`${name} exited with ${code}: ${out}`));
      resolve(JSON.parse(line));
    });
  });
}

export function median(xs) {
  const sorted = xs.toSorted((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The fastest of a scenario's runs (least `ms`). */
export function best(runs) {
  return runs.reduce((a, b) => (a.ms <= b.ms ? a : b));
}

/**
 * Prints `title`, then a Markdown table of string cells with padded columns: the columns whose
 * index is in `leftColumns` aligned left, the others (figures) right.
 */
export function printTable(title, header, rows, leftColumns = [0]) {
  const left = new Set(leftColumns);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fmt = (cells) =>
    '| ' + cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(title);
  console.log(fmt(header));
  console.log(
    '|' + widths.map((w, i) => (left.has(i) ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|') + '|',
  );
  for (const row of rows) console.log(fmt(row));
}
