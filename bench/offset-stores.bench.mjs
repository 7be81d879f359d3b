// Benchmark (not a test): cost of the external offset stores against the Kafka store, each
// scenario in its own process, all in this run, on the same topic.
//   node bench/offset-stores.bench.mjs [--count 20000] [--partitions 4] [--rounds 1]
// Needs the broker (KAFKA_BROKERS, default 127.0.0.1:9092), PostgreSQL (POSTGRES_URL) and Redis (REDIS_URL).
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  bestRateRows,
  brokersFromEnv,
  freshGroup,
  printTable,
  produceBacklog,
  runRounds,
  runScenarioProcess,
} from './support.mjs';

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
const brokers = brokersFromEnv();
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
  await produceBacklog(kafka, admin, {
    topic,
    partitions,
    count,
    messageAt: (id) => ({ key: `k${id}`, value: payload(id) }),
    producerOptions: { createPartitioner: kafkajs.Partitioners.DefaultPartitioner },
  });
  console.error(`produced ${count} records to ${topic} (${partitions} partitions)`);

  const kinds = scenarios.map(([kind]) => kind);
  const results = await runRounds(rounds, kinds, count, runScenario);
  printRates(results);
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

function runScenario(kind) {
  const group = freshGroup(`bench-${kind}`);
  groups.push(group);
  return runScenarioProcess('bench/offset-stores/scenario.ts', {
    name: kind,
    brokers,
    topic,
    group,
    count,
    env: { BENCH_STORE: kind, BENCH_TABLE: table, BENCH_EFFECTS_TABLE: effectsTable },
  });
}

function printRates(results) {
  const header = ['offset store', `records/s (best of ${rounds})`, 'vs Kafka store', 'peak RSS MB'];
  printTable(
    `\nOffset stores: ${count} records, ${partitions} partitions, 1 consumer process each, commit after processing`,
    header,
    bestRateRows(results, scenarios, count, 'kafka'),
  );
}
