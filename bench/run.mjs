// Benchmarks (not tests): throughput and memory of consuming the same records with this package and
// with the baselines, each scenario in its own process (a fresh group each time), all measured in
// this run, interleaved round by round, so that the ratios compare like with like.
//   node bench/run.mjs [--count 50000] [--partitions 6] [--runs 3] [--value-bytes 100,1024]
//                      [--only nestjs-kafka-consumer,kafkajs-each-batch] [--cpu-prof nestjs-kafka-consumer]
// --runs: runs of each scenario per value size; the table shows the median (--rounds: same).
// --value-bytes: one topic per size, each record's JSON value padded to that many bytes.
// --cpu-prof: the scenarios named get `node --cpu-prof` (profiles in bench/profiles/).
// --baseline <dir>: also runs this package's scenario from another checkout (e.g. a worktree of
//   the commit before a change), in the same run, as "nestjs-kafka-consumer (baseline)".
// "records per CPU-second": records / CPU time of the consumer process (all threads) from its
// first record to its last; steadier than records/s on a machine shared with other work.
// Uses KAFKA_BROKERS, else starts the project's local broker (and stops it if it started it).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import {
  brokersFromEnv,
  loadAverage,
  median,
  printTable,
  produceRecords,
  root,
  runScenarioProcess,
} from './support.mjs';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '50000' },
    partitions: { type: 'string', default: '6' },
    runs: { type: 'string' },
    rounds: { type: 'string' },
    'value-bytes': { type: 'string', default: '100,1024' },
    only: { type: 'string' },
    'cpu-prof': { type: 'string' },
    baseline: { type: 'string' },
  },
});
const count = Number(values.count);
const partitions = Number(values.partitions);
const runs = Number(values.runs ?? values.rounds ?? '3');
const valueSizes = values['value-bytes'].split(',').map(Number);
const profiled = new Set((values['cpu-prof'] ?? '').split(',').filter(Boolean));
const load = () => loadAverage(2);

const scenarios = [
  ['kafkajs-each-batch', 'kafkajs eachBatch'],
  ['kafkajs-each-message', 'kafkajs eachMessage'],
  ['nest-server-kafka', 'Nest ServerKafka'],
  ['nestjs-kafka-consumer', 'nestjs-kafka-consumer'],
  ...(values.baseline ? [['nestjs-kafka-consumer@baseline', 'nestjs-kafka-consumer (baseline)']] : []),
].filter(([file]) => !values.only || values.only.split(',').includes(file.replace('@baseline', '')));

function brokerRunning() {
  const pidFile = `${root}.kafka/single/node-1/pid`;
  if (!existsSync(pidFile)) return false;
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/** A JSON order, padded to `bytes` (what the handlers parse). */
function payload(id, bytes) {
  const order = { id, customer: `c-${id % 997}`, items: [{ sku: 'sku-1', qty: 2 }], total: 19.99, note: '' };
  const base = JSON.stringify(order).length;
  return JSON.stringify({ ...order, note: 'x'.repeat(Math.max(0, bytes - base)) });
}

let startedBroker = false;
if (!process.env.KAFKA_BROKERS) {
  startedBroker = !brokerRunning();
  execFileSync('bash', ['scripts/kafka/start.sh'], { cwd: root, stdio: 'inherit' });
}
const brokers = brokersFromEnv();

try {
  const kafka = new kafkajs.Kafka({ clientId: 'bench-setup', brokers, logLevel: kafkajs.logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  const topics = new Map();
  const producer = kafka.producer();
  await producer.connect();
  for (const bytes of valueSizes) {
    const topic = `bench-${bytes}b-${randomUUID().slice(0, 8)}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    await produceRecords(producer, topic, count, (id) => ({ key: `k${id}`, value: payload(id, bytes) }));
    topics.set(bytes, topic);
    console.error(
      `produced ${count} records (${payload(1, bytes).length} B values) to ${topic} (${partitions} partitions)`,
    );
  }
  await producer.disconnect();
  await admin.disconnect();

  const loadBefore = load();
  console.error(`load average (1, 5, 15 min) before: ${loadBefore}`);
  const results = new Map();
  for (let round = 0; round < runs; round++) {
    for (const bytes of valueSizes) {
      for (const [file] of scenarios) {
        const result = await runScenario(file, topics.get(bytes));
        const key = `${bytes}|${file}`;
        const list = results.get(key) ?? [];
        list.push(result);
        results.set(key, list);
        console.error(`  run ${round + 1} ${bytes} B ${file}: ${Math.round(count / (result.ms / 1000))} rec/s`);
      }
    }
  }
  console.error(`load average (1, 5, 15 min) after: ${load()}`);
  printThroughput(results, loadBefore);
} finally {
  if (startedBroker) execFileSync('bash', ['scripts/kafka/stop.sh'], { cwd: root, stdio: 'inherit' });
}

function runScenario(scenario, topic) {
  const baseline = scenario.endsWith('@baseline');
  const file = scenario.replace('@baseline', '');
  return runScenarioProcess(`bench/scenarios/${file}.ts`, {
    name: file,
    brokers,
    topic,
    count,
    cpuProf: profiled.has(scenario),
    cwd: baseline ? values.baseline : root,
  });
}

function printThroughput(results, loadBefore) {
  const rows = [];
  for (const bytes of valueSizes) {
    const rates = new Map();
    for (const [file, name] of scenarios) {
      const list = results.get(`${bytes}|${file}`);
      if (!list) continue;
      rates.set(file, {
        name,
        rate: median(list.map((r) => count / (r.ms / 1000))),
        all: list.map((r) => Math.round(count / (r.ms / 1000) / 1000)),
        perCpuSecond: median(list.map((r) => count / (r.cpuMs / 1000))),
        rss: Math.max(...list.map((x) => x.rssPeakMb)),
      });
    }
    const ours = rates.get('nestjs-kafka-consumer');
    for (const [, r] of rates) {
      rows.push([
        `${bytes} B`,
        r.name,
        Math.round(r.rate).toLocaleString('en-US'),
        r.all.join(' / '),
        ours ? (ours.rate / r.rate).toFixed(2) : '-',
        Math.round(r.perCpuSecond).toLocaleString('en-US'),
        ours ? (ours.perCpuSecond / r.perCpuSecond).toFixed(2) : '-',
        r.rss.toFixed(0),
      ]);
    }
  }
  const header = [
    'value',
    'scenario',
    `records/s (median of ${runs})`,
    'each run, k/s',
    'ours / this',
    'records per CPU-second',
    'ours / this (CPU)',
    'peak RSS MB',
  ];
  printTable(
    `\nThroughput: ${count} records per topic, ${partitions} partitions, JSON values, no-op handler (parses the value), ` +
      `1 consumer process each; load average before: ${loadBefore}, after: ${load()}`,
    header,
    rows,
    [0, 1],
  );
}
