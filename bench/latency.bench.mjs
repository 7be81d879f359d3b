// Benchmark (not a test): end-to-end latency (issue 8, scenario 4). A producer in this process
// writes records stamped with their send time at a fixed rate; each consumer, in its own process
// and group on a fresh topic, records (receive time - send time) per record in its handler.
//   KAFKA_BROKERS=127.0.0.1:9092 node bench/latency.bench.mjs [--rates 2000,10000] [--seconds 20]
//     [--partitions 6] [--value-bytes 512] [--warmup-seconds 2] [--only nestjs-kafka-consumer,...] [--cpu-prof]
// --cpu-prof: each consumer process writes a profile to bench/profiles/ (bench/profile-summary.mjs).
// Per rate and consumer: a warm-up (one record per 200 ms until the consumer has its partitions
// and receives, then --warmup-seconds at the full rate, not counted), then rate x seconds timed
// records. The table gives p50/p99/max and the records counted; "sent/s" is the rate the producer
// achieved (below the target it was starved, and the latencies say so too).
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { brokersFromEnv, loadAverage, printTable, spawnScenario } from './support.mjs';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '2000,10000' },
    seconds: { type: 'string', default: '20' },
    partitions: { type: 'string', default: '6' },
    'value-bytes': { type: 'string', default: '512' },
    'warmup-seconds': { type: 'string', default: '2' },
    only: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const rates = values.rates.split(',').map(Number);
const seconds = Number(values.seconds);
const partitions = Number(values.partitions);
const valueBytes = Number(values['value-bytes']);
const warmupSeconds = Number(values['warmup-seconds']);
const brokers = brokersFromEnv();
const load = () => loadAverage(1);

const scenarios = [
  ['kafkajs-each-batch', 'kafkajs eachBatch'],
  ['nest-server-kafka', 'Nest ServerKafka'],
  ['nestjs-kafka-consumer', 'nestjs-kafka-consumer'],
].filter(([file]) => !values.only || values.only.split(',').includes(file));

const nowMs = () => performance.timeOrigin + performance.now();
const filler = 'x'.repeat(valueBytes);
/** A JSON value of `valueBytes` bytes: the send time, the warm-up flag, padding. */
const value = (warm) => {
  const t = nowMs();
  const head = JSON.stringify({ t, w: warm, pad: '' }).length;
  return JSON.stringify({ t, w: warm, pad: filler.slice(0, Math.max(0, valueBytes - head)) });
};

const kafka = new kafkajs.Kafka({ clientId: 'bench-latency', brokers, logLevel: kafkajs.logLevel.ERROR });
const admin = kafka.admin();
await admin.connect();
const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
await producer.connect();

const rows = [];
const loads = [];
const created = [];
for (const rate of rates) {
  const loadBefore = load();
  for (const [file, name] of scenarios) {
    const result = await runOne(file, rate);
    rows.push({ rate, name, ...result });
    console.error(
      `  ${rate}/s ${file}: p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, ` +
        `max ${result.maxMs.toFixed(1)} ms, ${result.counted}/${result.expected}, sent ${Math.round(result.sentRate)}/s`,
    );
  }
  loads.push(`${rate}/s: ${loadBefore} before, ${load()} after`);
}
await producer.disconnect();
// Deleted only now: the producer would log metadata errors for topics deleted while it runs.
await admin.deleteTopics({ topics: created }).catch(() => undefined);
await admin.disconnect();
printLatencies();

async function runOne(file, rate) {
  const topic = `bench-latency-${randomUUID().slice(0, 8)}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  const expected = rate * seconds;
  const state = { first: false };
  const child = spawnScenario(`bench/latency/${file}.ts`, {
    brokers,
    topic,
    count: expected,
    cpuProf: values['cpu-prof'],
    env: { BENCH_DEADLINE_MS: String((warmupSeconds + seconds + 60) * 1000) },
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    if (out.includes('first\n')) state.first = true;
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const killer = setTimeout(() => child.kill('SIGKILL'), (warmupSeconds + seconds + 180) * 1000);
  try {
    // Until the consumer is assigned and receiving: a trickle of warm-up records.
    const joinDeadline = Date.now() + 120_000;
    while (!state.first) {
      if (child.exitCode !== null || Date.now() > joinDeadline) throw new Error(`${file} never received: ${out}`);
      await producer.send({ topic, messages: [{ value: value(1) }] });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await paced(topic, rate, rate * warmupSeconds, 1);
    const started = performance.now();
    await paced(topic, rate, expected, 0);
    const sentRate = expected / ((performance.now() - started) / 1000);
    const code = await exited;
    const line = out.trim().split('\n').pop();
    if (code !== 0 || !line?.startsWith('{')) throw new Error(`${file} exited with ${code}: ${out}`);
    return { ...JSON.parse(line), sentRate };
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null) child.kill('SIGKILL');
    created.push(topic);
  }
}

/** Sends `total` records at `rate` per second: every 5 ms, the records due by then. */
async function paced(topic, rate, total, warm) {
  const start = performance.now();
  const inFlight = new Set();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
    // At most 500 records a request (a stalled loop would otherwise exceed the broker's size limit).
    while (due > sent && inFlight.size < 100) {
      const n = Math.min(500, due - sent);
      const messages = Array.from({ length: n }, () => ({ value: value(warm) }));
      sent += n;
      const request = producer.send({ topic, messages }).finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(inFlight);
}

function printLatencies() {
  const header = ['rate/s', 'consumer', 'p50 ms', 'p99 ms', 'max ms', 'records counted', 'p99 ours / this', 'sent/s'];
  const lines = rows.map((r) => {
    const ours = rows.find((o) => o.rate === r.rate && o.name === 'nestjs-kafka-consumer');
    return [
      r.rate.toLocaleString('en-US'),
      r.name,
      r.p50Ms.toFixed(1),
      r.p99Ms.toFixed(1),
      r.maxMs.toFixed(1),
      `${r.counted.toLocaleString('en-US')} / ${r.expected.toLocaleString('en-US')}`,
      ours ? (ours.p99Ms / r.p99Ms).toFixed(2) : '-',
      Math.round(r.sentRate).toLocaleString('en-US'),
    ];
  });
  printTable(
    `\nEnd-to-end latency: ${seconds} s at each rate, ${valueBytes} B values, ${partitions} partitions, ` +
      `1 consumer process each (own topic and group); load average (1, 5, 15 min): ${loads.join('; ')}`,
    header,
    lines,
    [1],
  );
}
