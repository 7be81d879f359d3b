// Benchmark (not a test): an I/O-bound handler (awaits --handler-ms per record) consuming records
// with --keys distinct keys, under concurrency 'partition', 'key' and 'unordered'.
//   KAFKA_BROKERS=127.0.0.1:9092 node bench/concurrency.bench.mjs [--count 20000] [--partitions 6]
//     [--keys 1000] [--handler-ms 5] [--max-in-flight 100] [--modes partition,key,unordered] [--cpu-prof]
// --cpu-prof: each mode's process writes a profile to bench/profiles/ (see bench/profile-summary.mjs).
// Key mode's ceiling is maxInFlight / handler-ms (100 / 5 ms = 20,000 records/s).
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { brokersFromEnv, loadAverage, produceBacklog, runScenarioProcess } from './support.mjs';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    partitions: { type: 'string', default: '6' },
    keys: { type: 'string', default: '1000' },
    'handler-ms': { type: 'string', default: '5' },
    'max-in-flight': { type: 'string', default: '100' },
    modes: { type: 'string', default: 'partition,key,unordered' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const partitions = Number(values.partitions);
const keys = Number(values.keys);
const handlerMs = Number(values['handler-ms']);
const maxInFlight = Number(values['max-in-flight']);
const brokers = brokersFromEnv();

const kafka = new kafkajs.Kafka({ clientId: 'bench-setup', brokers, logLevel: kafkajs.logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
const topic = `bench-io-${randomUUID().slice(0, 8)}`;
await produceBacklog(kafka, admin, {
  topic,
  partitions,
  count,
  messageAt: (id) => ({ key: `k${id % keys}`, value: `{"id":${id}}` }),
  producerOptions: { createPartitioner: kafkajs.Partitioners.DefaultPartitioner },
});
await admin.disconnect();
console.error(`produced ${count} records with ${keys} keys to ${topic} (${partitions} partitions)`);
console.error(`load average before: ${loadAverage(1)}`);

const rows = [];
for (const mode of values.modes.split(',')) {
  const result = await run(mode);
  const rate = count / (result.ms / 1000);
  rows.push({ scenario: result.scenario, rate });
  console.error(`  ${result.scenario}: ${Math.round(rate)} rec/s`);
}
console.error(`load average after: ${loadAverage(1)}`);
console.log(`\nI/O-bound handler (${handlerMs} ms), ${count} records, ${keys} keys, ${partitions} partitions`);
console.log('| scenario | records/s | of maxInFlight / latency |');
console.log('|:--|--:|--:|');
const ceiling = maxInFlight / (handlerMs / 1000);
for (const { scenario, rate } of rows) {
  console.log(`| ${scenario} | ${Math.round(rate).toLocaleString('en-US')} | ${(rate / ceiling).toFixed(2)} |`);
}

function run(mode) {
  return runScenarioProcess('bench/concurrency/io-bound.ts', {
    name: mode,
    brokers,
    topic,
    count,
    cpuProf: values['cpu-prof'],
    env: { BENCH_HANDLER_MS: String(handlerMs), BENCH_MODE: mode, BENCH_MAX_IN_FLIGHT: String(maxInFlight) },
  });
}
