// Benchmark (not a test): peak memory while a slow handler drains a large backlog, this package
// against plain kafkajs eachBatch, each consumer in its own process, both measured in this run.
//   node bench/memory.bench.mjs [--count 200000] [--partitions 6] [--value-bytes 1024] [--handler-ms 1]
// The full figure is `--count 1000000`. Needs the broker (KAFKA_BROKERS, default 127.0.0.1:9092).
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { brokersFromEnv, printTable, produceBacklog, runScenarioProcess } from './support.mjs';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '200000' },
    partitions: { type: 'string', default: '6' },
    'value-bytes': { type: 'string', default: '1024' },
    'handler-ms': { type: 'string', default: '1' },
  },
});
const count = Number(values.count);
const partitions = Number(values.partitions);
const valueBytes = Number(values['value-bytes']);
const handlerMs = Number(values['handler-ms']);
const brokers = brokersFromEnv();

const scenarios = ['kafkajs-each-batch', 'nestjs-kafka-consumer'];

const kafka = new kafkajs.Kafka({ clientId: 'bench-setup', brokers, logLevel: kafkajs.logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
const topic = `bench-memory-${randomUUID().slice(0, 8)}`;
const filler = 'x'.repeat(valueBytes);
// A JSON value of exactly `valueBytes` bytes: the id, padded.
const value = (id) => {
  const head = JSON.stringify({ id, pad: '' });
  return JSON.stringify({ id, pad: filler.slice(0, Math.max(0, valueBytes - head.length)) });
};
await produceBacklog(kafka, admin, {
  topic,
  partitions,
  count,
  messageAt: (id) => ({ value: value(id) }),
  chunk: 1000,
});
await admin.disconnect();
console.error(`produced ${count} records of ${valueBytes} B to ${topic} (${partitions} partitions)`);

const results = [];
for (const file of scenarios) {
  const result = await runScenario(file);
  console.error(`  ${file}: ${(result.ms / 1000).toFixed(1)} s, peak RSS ${result.rssPeakMb.toFixed(0)} MB`);
  results.push(result);
}
try {
  const cleanup = kafka.admin();
  await cleanup.connect();
  await cleanup.deleteTopics({ topics: [topic] });
  await cleanup.disconnect();
} catch {
  // the topic stays; harmless
}
printMemory(results);

function runScenario(file) {
  return runScenarioProcess(`bench/memory/${file}.ts`, {
    name: file,
    brokers,
    topic,
    count,
    nodeArgs: ['--expose-gc'],
    timeoutMs: 1_800_000,
    env: { BENCH_HANDLER_MS: String(handlerMs) },
  });
}

function printMemory(rows) {
  const header = [
    'scenario',
    'drain time s',
    'peak RSS MB',
    'peak heap MB',
    'peak arrayBuffers MB',
    'idle after GC: heap MB',
    'idle after GC: arrayBuffers MB',
  ];
  const lines = rows.map((r) => [
    r.scenario,
    (r.ms / 1000).toFixed(1),
    r.rssPeakMb.toFixed(0),
    r.heapPeakMb.toFixed(0),
    r.arrayBuffersPeakMb.toFixed(0),
    r.retained ? r.retained.heapMb.toFixed(1) : '-',
    r.retained ? r.retained.arrayBuffersMb.toFixed(1) : '-',
  ]);
  printTable(
    `\nMemory: ${count} records of ${valueBytes} B backlogged on ${partitions} partitions, ${handlerMs} ms handler, 1 consumer process each`,
    header,
    lines,
  );
}
