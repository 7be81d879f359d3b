// Benchmark (not a test): cost of the external offset stores against the Kafka store, each
// scenario in its own process, all in this run, on the same topic.
//   node bench/offset-stores.bench.mjs [--count 20000] [--partitions 4] [--rounds 1]
// Needs the broker (KAFKA_BROKERS, default 127.0.0.1:9092), PostgreSQL (POSTGRES_URL) and Redis (REDIS_URL).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { Redis } from 'ioredis';

const root = fileURLToPath(new URL('../', import.meta.url));
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    partitions: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '1' },
  },
});
const count = Number(values.count);
const partitions = Number(values.partitions);
const rounds = Number(values.rounds);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const postgresUrl = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const suffix = randomUUID().slice(0, 8);
const table = `kc_bench_offsets_${suffix}`;
const effectsTable = `kc_bench_effects_${suffix}`;

const scenarios = [
  ['kafka', 'KafkaOffsetStore (group commits)'],
  ['postgres', 'PostgresOffsetStore (batched saves)'],
  ['postgres-transaction', 'PostgresOffsetStore transaction() per record'],
  ['redis', 'RedisOffsetStore (batched saves)'],
  ['file', 'FileOffsetStore (batched saves, fsync)'],
];

const database = new pg.Pool({ connectionString: postgresUrl, max: 1 });
const groups = [];
const kafka = new kafkajs.Kafka({ clientId: 'bench-setup', brokers, logLevel: kafkajs.logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
const topic = `bench-stores-${suffix}`;
try {
  await database.query(`CREATE TABLE ${effectsTable} (id bigint NOT NULL)`);
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let sent = 0; sent < count; sent += 5000) {
    const n = Math.min(5000, count - sent);
    await producer.send({
      topic,
      messages: Array.from({ length: n }, (_, i) => ({ key: `k${sent + i}`, value: payload(sent + i) })),
    });
  }
  await producer.disconnect();
  console.error(`produced ${count} records to ${topic} (${partitions} partitions)`);

  const results = new Map();
  for (let round = 0; round < rounds; round++) {
    for (const [kind] of scenarios) {
      const result = await runScenario(kind);
      results.set(kind, [...(results.get(kind) ?? []), result]);
      console.error(`  round ${round + 1} ${kind}: ${Math.round(count / (result.ms / 1000))} rec/s`);
    }
  }
  printTable(results);
} finally {
  await database.query(`DROP TABLE IF EXISTS ${table}, ${effectsTable}`).catch(() => undefined);
  await database.end();
  const redis = new Redis(redisUrl);
  for (const group of groups) await redis.del(`${group}:{${group}}`);
  await redis.quit();
  for (const group of groups) rmSync(join(tmpdir(), `${group}.offsets.json`), { force: true });
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

function payload(id) {
  return JSON.stringify({ id, customer: `c-${id % 997}`, total: 19.99 });
}

function best(list) {
  return list.reduce((a, b) => (a.ms <= b.ms ? a : b));
}

function runScenario(kind) {
  const group = `bench-${kind}-${randomUUID().slice(0, 8)}`;
  groups.push(group);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', './test/support/child-app/register.mjs', 'bench/offset-stores/scenario.ts'],
      {
        cwd: root,
        env: {
          ...process.env,
          BENCH_BROKERS: brokers.join(','),
          BENCH_TOPIC: topic,
          BENCH_GROUP: group,
          BENCH_COUNT: String(count),
          BENCH_STORE: kind,
          BENCH_TABLE: table,
          BENCH_EFFECTS_TABLE: effectsTable,
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
      if (code !== 0 || !line) return reject(new Error(`${kind} exited with ${code}: ${out}`));
      resolve(JSON.parse(line));
    });
  });
}

function printTable(results) {
  const rate = (kind) => count / (best(results.get(kind)).ms / 1000);
  const kafkaRate = rate('kafka');
  const header = ['offset store', `records/s (best of ${rounds})`, 'vs Kafka store', 'peak RSS MB'];
  const lines = scenarios.map(([kind, label]) => [
    label,
    Math.round(rate(kind)).toLocaleString('en-US'),
    (rate(kind) / kafkaRate).toFixed(2),
    Math.max(...results.get(kind).map((r) => r.rssPeakMb)).toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) =>
    '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(
    `\nOffset stores: ${count} records, ${partitions} partitions, 1 consumer process each, commit after processing`,
  );
  console.log(fmt(header));
  console.log(
    '|' + widths.map((w, i) => (i === 0 ? ':' + '-'.repeat(w + 1) : '-'.repeat(w + 1) + ':')).join('|') + '|',
  );
  for (const l of lines) console.log(fmt(l));
}
