// Benchmarks (not tests): throughput and memory of consuming the same records with this package and
// with the baselines, each scenario in its own process, all measured in this run.
//   node bench/run.mjs [--count 50000] [--partitions 4] [--rounds 2]
// Uses KAFKA_BROKERS, else starts the project's local broker (and stops it if it started it).
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';

const root = fileURLToPath(new URL('../', import.meta.url));
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '50000' },
    partitions: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '2' },
    only: { type: 'string' },
  },
});
const count = Number(values.count);
const partitions = Number(values.partitions);
const rounds = Number(values.rounds);

const scenarios = [
  ['kafkajs-each-batch', 'kafkajs eachBatch'],
  ['kafkajs-each-message', 'kafkajs eachMessage'],
  ['nest-server-kafka', 'Nest ServerKafka'],
  ['nestjs-kafka-consumer', 'nestjs-kafka-consumer'],
].filter(([file]) => !values.only || values.only.split(',').includes(file));

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

let startedBroker = false;
if (!process.env.KAFKA_BROKERS) {
  startedBroker = !brokerRunning();
  execFileSync('bash', ['scripts/kafka/start.sh'], { cwd: root, stdio: 'inherit' });
}
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

try {
  const kafka = new kafkajs.Kafka({ clientId: 'bench-setup', brokers, logLevel: kafkajs.logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  const payload = (id) =>
    JSON.stringify({ id, customer: `c-${id % 997}`, items: [{ sku: 'sku-1', qty: 2 }], total: 19.99 });
  for (let sent = 0; sent < count; sent += 5000) {
    const n = Math.min(5000, count - sent);
    await producer.send({
      topic,
      messages: Array.from({ length: n }, (_, i) => ({ key: `k${sent + i}`, value: payload(sent + i) })),
    });
  }
  await producer.disconnect();
  await admin.disconnect();
  console.error(`produced ${count} records (${payload(1).length} B values) to ${topic} (${partitions} partitions)`);

  const results = new Map();
  for (let round = 0; round < rounds; round++) {
    for (const [file] of scenarios) {
      const result = await runScenario(file, topic);
      const list = results.get(file) ?? [];
      list.push(result);
      results.set(file, list);
      console.error(`  round ${round + 1} ${file}: ${Math.round(count / (result.ms / 1000))} rec/s`);
    }
  }
  printTable(results);
} finally {
  if (startedBroker) execFileSync('bash', ['scripts/kafka/stop.sh'], { cwd: root, stdio: 'inherit' });
}

function runScenario(file, topic) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', './test/support/child-app/register.mjs', `bench/scenarios/${file}.ts`],
      {
        cwd: root,
        env: {
          ...process.env,
          BENCH_BROKERS: brokers.join(','),
          BENCH_TOPIC: topic,
          BENCH_GROUP: `bench-${randomUUID().slice(0, 8)}`,
          BENCH_COUNT: String(count),
          KAFKAJS_NO_PARTITIONER_WARNING: '1',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) return reject(new Error(`${file} exited with ${code}: ${out}`));
      resolve(JSON.parse(line));
    });
  });
}

function printTable(results) {
  const best = (list) => list.reduce((a, b) => (a.ms <= b.ms ? a : b));
  const rows = [...results].map(([file, list]) => {
    const r = best(list);
    return {
      file,
      scenario: r.scenario,
      rate: count / (r.ms / 1000),
      rss: Math.max(...list.map((x) => x.rssPeakMb)),
      heap: Math.max(...list.map((x) => x.heapPeakMb)),
    };
  });
  const ours = rows.find((r) => r.file === 'nestjs-kafka-consumer');
  const header = ['scenario', 'records/s (best of ' + rounds + ')', 'ours / this', 'peak RSS MB', 'peak heap MB'];
  const lines = rows.map((r) => [
    r.scenario,
    Math.round(r.rate).toLocaleString('en-US'),
    ours ? (ours.rate / r.rate).toFixed(2) : '-',
    r.rss.toFixed(0),
    r.heap.toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) =>
    '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(
    `\nThroughput: ${count} records, ${partitions} partitions, JSON values, trivial handler, 1 consumer process each`,
  );
  console.log(fmt(header));
  console.log(
    '|' + widths.map((w, i) => (i === 0 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|') + '|',
  );
  for (const l of lines) console.log(fmt(l));
}
