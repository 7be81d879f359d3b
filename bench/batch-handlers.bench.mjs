// Benchmark (not a test, issue 8 scenario 5): a batch handler against a per-record handler that
// write every record's id to PostgreSQL (an INSERT per record, or one multi-row INSERT per batch),
// with plain writes and inside PostgresOffsetStore.transaction(); each scenario in its own process,
// all in this run, on the same topic.
//   node bench/batch-handlers.bench.mjs [--count 20000] [--partitions 6] [--rounds 1] [--batch-size 100]
// Needs the broker (KAFKA_BROKERS, default 127.0.0.1:9092), and PostgreSQL (POSTGRES_URL).
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import pg from 'pg';
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
    partitions: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '1' },
    'batch-size': { type: 'string', default: '100' },
  },
});
const count = Number(values.count);
const partitions = Number(values.partitions);
const rounds = Number(values.rounds);
const brokers = brokersFromEnv();
const postgresUrl = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const suffix = randomUUID().slice(0, 8);
const table = `kc_bench_offsets_${suffix}`;
const effectsTable = `kc_bench_effects_${suffix}`;

const scenarios = [
  ['per-record', 'per-record handler, INSERT per record'],
  ['batch', 'batch handler, one INSERT per batch'],
  ['per-record-transaction', 'per-record handler, transaction() per record'],
  ['batch-transaction', 'batch handler, transaction() per batch'],
];

const database = new pg.Pool({ connectionString: postgresUrl, max: 1 });
const groups = [];
const kafka = new kafkajs.Kafka({ clientId: 'bench-setup', brokers, logLevel: kafkajs.logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
const topic = `bench-batch-${suffix}`;
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
  const results = await runRounds(rounds, kinds, count, runScenario, checkEffects);
  printRates(results);
} finally {
  await database.query(`DROP TABLE IF EXISTS ${table}, ${effectsTable}`).catch(() => undefined);
  await database.end();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
}

/** Every id written once: the scenario did the work it is timed for. Empties the table for the next one. */
async function checkEffects(kind) {
  const { rows } = await database.query(`SELECT count(*) AS n, count(DISTINCT id) AS d FROM ${effectsTable}`);
  if (Number(rows[0].n) !== count || Number(rows[0].d) !== count) {
    throw new Error(`${kind}: ${rows[0].n} rows (${rows[0].d} distinct) for ${count} records`);
  }
  await database.query(`TRUNCATE ${effectsTable}`);
}

function payload(id) {
  return JSON.stringify({ id, customer: `c-${id % 997}`, total: 19.99 });
}

function runScenario(kind) {
  const group = freshGroup(`bench-${kind}`);
  groups.push(group);
  return runScenarioProcess('bench/batch-handlers/scenario.ts', {
    name: kind,
    brokers,
    topic,
    group,
    count,
    env: {
      BENCH_MODE: kind,
      BENCH_BATCH_SIZE: values['batch-size'],
      BENCH_TABLE: table,
      BENCH_EFFECTS_TABLE: effectsTable,
    },
  });
}

function printRates(results) {
  const header = ['scenario', `records/s (best of ${rounds})`, 'vs per-record INSERT', 'peak RSS MB'];
  printTable(
    `\nBatch handlers: ${count} records, ${partitions} partitions, batch maxSize ${values['batch-size']}, 1 consumer process each, PostgreSQL writes`,
    header,
    bestRateRows(results, scenarios, count, 'per-record'),
  );
}
