// `npm run demo`: runs the built sample app (sample-app/dist/main.js) against a real broker, feeds it
// orders and payments on fresh topics, waits until every consumer group has processed and committed
// everything, stops the app with SIGTERM and prints a short report. Exit 0 on success, 1 otherwise.
//
// Environment: KAFKA_BROKERS (use that cluster; otherwise 127.0.0.1:9092, started here if needed),
// DEMO_ORDERS (default 300), DEMO_PAYMENTS (default 60), DEMO_TIMEOUT_MS (default 60000),
// DEMO_VERBOSE=1 (echo the app's logs), DEMO_KEEP_TOPICS=1 (do not delete the run's topics and groups).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';

const { Kafka, logLevel, Partitioners } = kafkajs;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP_ENTRY = `${ROOT}sample-app/dist/main.js`;
const ORDERS = positiveInt('DEMO_ORDERS', 300);
const PAYMENTS = Math.min(positiveInt('DEMO_PAYMENTS', 60), ORDERS);
const TIMEOUT_MS = positiveInt('DEMO_TIMEOUT_MS', 60_000);
const VERBOSE = process.env.DEMO_VERBOSE === '1';
const READY_MESSAGE = 'Nest microservice successfully started';

/** A failure with a message meant for the user (no stack trace). */
class DemoError extends Error {}

const t0 = Date.now();
const runId = `${new Date().toISOString().slice(11, 19).replaceAll(':', '')}-${randomBytes(2).toString('hex')}`;
const names = {
  orders: `demo-${runId}.orders`,
  payments: `demo-${runId}.payments`,
  groupPrefix: `demo-${runId}.orders-service`,
};
const groups = [
  { label: 'billing', groupId: `${names.groupPrefix}.billing`, topic: names.orders, summary: 'billing summary' },
  { label: 'analytics', groupId: `${names.groupPrefix}.analytics`, topic: names.orders, summary: 'analytics summary' },
  { label: 'payments (manual commit)', groupId: names.groupPrefix, topic: names.payments, summary: 'ledger summary' },
];

let brokerStartedHere = false;
let app = null;
let kafka = null;
let admin = null;
let producer = null;
const timings = {};

// Ctrl-C: the app gets the signal too (same process group); still stop what this run started.
process.once('SIGINT', () => {
  console.error('\ndemo interrupted: cleaning up');
  cleanup().finally(() => process.exit(130));
});

try {
  if (!existsSync(APP_ENTRY)) throw new DemoError(`${APP_ENTRY} not found: run 'npm run build' first`);
  const brokers = await ensureBroker();
  kafka = new Kafka({ clientId: 'orders-demo', brokers, logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: names.orders, numPartitions: 3 },
      { topic: names.payments, numPartitions: 2 },
    ],
    waitForLeaders: true,
  });

  app = startApp(brokers);
  timings.appStart = await measure(() =>
    waitFor('the sample app to start', () => app.exited ?? app.logs.some((l) => l.message === READY_MESSAGE)),
  );
  if (app.exited) throw new DemoError(`the sample app exited during startup (${app.exited})`);

  const { orders, payments, expected } = generate(ORDERS, PAYMENTS);
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const producedAt = Date.now();
  // One order that fails validation: each group dead-letters it instead of blocking its partition.
  const invalidOrder = { orderId: 'o-invalid', customerId: 'c-invalid', currency: 'GBP', items: [] };
  await producer.sendBatch({
    acks: -1,
    topicMessages: [
      {
        topic: names.orders,
        messages: [...orders, invalidOrder].map((o) => ({ key: o.customerId, value: JSON.stringify(o) })),
      },
      { topic: names.payments, messages: payments.map((p) => ({ key: p.orderId, value: JSON.stringify(p) })) },
    ],
  });

  const ends = {
    [names.orders]: await logEnds(names.orders),
    [names.payments]: await logEnds(names.payments),
  };
  let progress = [];
  await waitFor(
    'every group to commit the end of every partition',
    async () => {
      if (app.exited) throw new DemoError(`the sample app exited while consuming (${app.exited})`);
      progress = await Promise.all(groups.map((g) => committed(g.groupId, g.topic)));
      return progress.every((offsets, i) => sameOffsets(offsets, ends[groups[i].topic]));
    },
    () => groups.map((g, i) => `${g.label} ${JSON.stringify(progress[i])} of ${JSON.stringify(ends[g.topic])}`),
  );
  timings.processed = Date.now() - producedAt;
  const deadLetters = await readDeadLetters(`${names.orders}-dlt`, 2);

  timings.shutdown = await measure(() => stopApp());
  const summaries = Object.fromEntries(
    groups.map((g) => [g.label, app.logs.find((l) => l.message?.msg === g.summary)?.message]),
  );
  const finalOffsets = await Promise.all(groups.map((g) => committed(g.groupId, g.topic)));

  const problems = verify(summaries, expected, finalOffsets, ends);
  const groupsDeadLettering = new Set(deadLetters.map((d) => d.headers['kafka_dlt-original-consumer-group']));
  if (deadLetters.length !== 2 || groupsDeadLettering.size !== 2) {
    problems.push(`expected the invalid order in ${names.orders}-dlt once per group, found ${deadLetters.length}`);
  }
  printReport({ brokers, expected, ends, summaries, finalOffsets, problems, deadLetters });
  if (problems.length > 0) throw new DemoError(`${problems.length} check(s) failed (see above)`);
  process.exitCode = 0;
} catch (error) {
  process.exitCode = 1;
  console.error(`\ndemo FAILED: ${error instanceof DemoError ? error.message : (error?.stack ?? error)}`);
  if (app && !VERBOSE) {
    console.error('--- last lines of the sample app ---');
    for (const line of app.raw.slice(-30)) console.error(line);
    if (app.raw.length === 0) console.error('(no output yet)');
  }
} finally {
  await cleanup();
}

// ---------------------------------------------------------------------------------------------------

function printReport({ brokers, expected, ends, summaries, finalOffsets, problems, deadLetters }) {
  const b = summaries.billing ?? {};
  const a = summaries.analytics ?? {};
  const l = summaries['payments (manual commit)'] ?? {};
  const lines = [
    '',
    `== nestjs-kafka-consumer demo (run ${runId}) ==`,
    `broker   ${brokers.join(',')} ${brokerStartedHere ? '(started by this demo)' : '(already running)'}`,
    `topics   ${names.orders} (3 partitions), ${names.payments} (2 partitions)`,
    `produced ${expected.orders} orders (${eur(expected.totalCents)}), ${expected.payments} payments (${eur(expected.paidCents)})`,
    '',
    'processed by each group (from the app logs at shutdown):',
    `  billing    ${b.processed} orders, ${b.invoices} invoices, total ${eur(b.totalCents ?? 0)}`,
    `  analytics  ${a.processed} orders, ${a.skus} SKUs, top units ${JSON.stringify(a.topSkus ?? {})}`,
    `  payments   ${l.processed} payments booked (${l.payments} distinct), balance ${eur(l.balanceCents ?? 0)}`,
    '',
    `dead-lettered (${names.orders}-dlt, one invalid order, committed after the dead-letter write):`,
    ...deadLetters.map(
      (d) =>
        `  ${String(d.headers['kafka_dlt-original-consumer-group']).padEnd(48)} ` +
        `from p${d.headers['kafka_dlt-original-partition']}@${d.headers['kafka_dlt-original-offset']} ` +
        `${d.headers['kafka_dlt-exception-fqcn']}: ${d.headers['kafka_dlt-exception-message']}`,
    ),
    '',
    'committed offsets (admin.fetchOffsets after shutdown; committed / log end):',
  ];
  groups.forEach((g, i) => {
    const parts = Object.keys(ends[g.topic])
      .map((p) => `p${p} ${finalOffsets[i][p] ?? '-'}/${ends[g.topic][p]}`)
      .join('  ');
    lines.push(`  ${g.groupId.padEnd(48)} ${g.topic.split('.').pop().padEnd(9)} ${parts}`);
  });
  lines.push(
    '',
    `timing   app ready ${seconds(timings.appStart)}, all committed ${seconds(timings.processed)} after producing, ` +
      `SIGTERM shutdown ${seconds(timings.shutdown)}, total ${seconds(Date.now() - t0)}`,
    problems.length === 0 ? 'result   OK: every group processed every record once and committed the log end' : '',
  );
  for (const p of problems) lines.push(`check failed: ${p}`);
  console.log(lines.filter((x, i, all) => x !== '' || all[i - 1] !== '').join('\n'));
}

function verify(summaries, expected, finalOffsets, ends) {
  const problems = [];
  const b = summaries.billing;
  const a = summaries.analytics;
  const l = summaries['payments (manual commit)'];
  if (!b || !a || !l) problems.push('a service did not log its summary at shutdown (was the shutdown clean?)');
  if (b && (b.invoices !== expected.orders || b.totalCents !== expected.totalCents)) {
    problems.push(
      `billing invoiced ${b.invoices} orders / ${b.totalCents} cents, expected ${expected.orders} / ${expected.totalCents}`,
    );
  }
  if (a && a.processed !== expected.orders)
    problems.push(`analytics processed ${a.processed}, expected ${expected.orders}`);
  if (l && (l.payments !== expected.payments || l.balanceCents !== expected.paidCents)) {
    problems.push(
      `ledger booked ${l.payments} / ${l.balanceCents} cents, expected ${expected.payments} / ${expected.paidCents}`,
    );
  }
  groups.forEach((g, i) => {
    if (!sameOffsets(finalOffsets[i], ends[g.topic])) problems.push(`group ${g.groupId} did not commit the log end`);
  });
  return problems;
}

/** Deterministic orders (1-3 items from 8 SKUs) for 40 customers, and payments for the first orders. */
function generate(orderCount, paymentCount) {
  let seed = 42; // mulberry32: a small seeded PRNG, so every run produces the same data
  const next = (n) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const skus = ['tea', 'coffee', 'mug', 'kettle', 'filter', 'grinder', 'beans', 'sugar'];
  const orders = Array.from({ length: orderCount }, (_, i) => ({
    orderId: `order-${i + 1}`,
    customerId: `customer-${next(40) + 1}`,
    currency: 'EUR',
    items: Array.from({ length: next(3) + 1 }, () => ({
      sku: skus[next(skus.length)],
      quantity: next(4) + 1,
      unitPriceCents: 100 * (next(30) + 1),
    })),
  }));
  const payments = orders.slice(0, paymentCount).map((o, i) => ({
    paymentId: `payment-${i + 1}`,
    orderId: o.orderId,
    amountCents: total(o),
    currency: 'EUR',
  }));
  return {
    orders,
    payments,
    expected: {
      orders: orderCount,
      payments: paymentCount,
      totalCents: orders.reduce((s, o) => s + total(o), 0),
      paidCents: payments.reduce((s, p) => s + p.amountCents, 0),
    },
  };
}

/** Spawns the worker with JSON logs; every stdout/stderr line is kept (parsed when it is JSON). */
function startApp(brokers) {
  const child = spawn(process.execPath, [APP_ENTRY], {
    cwd: ROOT,
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_CLIENT_ID: 'orders-service-demo',
      ORDERS_TOPIC: names.orders,
      PAYMENTS_TOPIC: names.payments,
      GROUP_ID_PREFIX: names.groupPrefix,
      LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state = { child, logs: [], raw: [], exited: null, exit: null };
  state.exit = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      state.exited = signal ? `signal ${signal}` : `code ${code}`;
      resolve({ code, signal });
    });
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop();
      for (const line of lines) {
        state.raw.push(line);
        if (VERBOSE) console.error(`[app] ${line}`);
        try {
          state.logs.push(JSON.parse(line));
        } catch {
          // not a JSON log line (a crash trace, say): kept in raw only
        }
      }
    });
  }
  return state;
}

async function stopApp() {
  app.child.kill('SIGTERM');
  const { code, signal } = await withTimeout(app.exit, 40_000, 'the sample app to exit after SIGTERM');
  // enableShutdownHooks() re-raises the signal after a clean shutdown, so "killed by SIGTERM" is normal.
  if (!(code === 0 || signal === 'SIGTERM')) throw new DemoError(`the sample app exited with ${app.exited} on SIGTERM`);
}

/** The broker to use: KAFKA_BROKERS, or 127.0.0.1:9092, started through scripts/kafka/start.sh if it is down. */
async function ensureBroker() {
  const fromEnv = process.env.KAFKA_BROKERS;
  const brokers = (fromEnv ?? '127.0.0.1:9092').split(',').filter(Boolean);
  const ready = (timeout) =>
    spawnSync(
      process.execPath,
      [`${ROOT}scripts/kafka/wait-ready.mjs`, '--brokers', brokers.join(','), '--timeout', String(timeout), '--quiet'],
      { stdio: 'inherit' },
    ).status === 0;
  if (fromEnv) {
    if (!ready(30)) throw new DemoError(`the cluster at KAFKA_BROKERS=${fromEnv} does not answer`);
    return brokers;
  }
  if (ready(3)) return brokers;
  console.error('[demo] no broker on 127.0.0.1:9092: starting one with scripts/kafka/start.sh');
  // start.sh reuses a broker that is already running; only a new broker process is ours to stop.
  const before = brokerPid();
  const started = spawnSync('bash', [`${ROOT}scripts/kafka/start.sh`], { stdio: 'inherit' });
  const after = brokerPid();
  brokerStartedHere = after !== null && after !== before;
  if (started.status !== 0) throw new DemoError('scripts/kafka/start.sh failed (see its output above)');
  return brokers;
}

/** Pid recorded by scripts/kafka/start.sh for the single-node broker, or null. */
function brokerPid() {
  const file = `${process.env.KAFKA_CACHE_DIR ?? `${ROOT}.kafka`}/single/node-1/pid`;
  try {
    return readFileSync(file, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Reads `count` records of a dead-letter topic from the beginning, with their headers as strings. */
async function readDeadLetters(topic, count) {
  const consumer = kafka.consumer({ groupId: `${names.groupPrefix}.dlt-reader`, maxWaitTimeInMs: 200 });
  const records = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        records.push({ value: message.value?.toString(), headers });
      },
    });
    await waitFor(`${count} records in ${topic}`, () => records.length >= count).catch(() => undefined);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return records;
}

async function cleanup() {
  if (app && !app.exited) {
    app.child.kill('SIGKILL');
    await app.exit;
  }
  await producer?.disconnect().catch(() => undefined);
  if (admin && process.env.DEMO_KEEP_TOPICS !== '1') {
    await admin
      .deleteGroups([...groups.map((g) => g.groupId), `${names.groupPrefix}.dlt-reader`])
      .catch(() => undefined);
    await admin
      .deleteTopics({
        topics: [names.orders, names.payments, `${names.orders}-dlt`, `${names.payments}-dlt`],
      })
      .catch(() => undefined);
  }
  await admin?.disconnect().catch(() => undefined);
  if (brokerStartedHere) {
    console.error('[demo] stopping the broker this demo started');
    spawnSync('bash', [`${ROOT}scripts/kafka/stop.sh`], { stdio: 'inherit' });
  }
}

async function logEnds(topic) {
  const offsets = await admin.fetchTopicOffsets(topic);
  return Object.fromEntries(offsets.map((p) => [p.partition, p.high]));
}

async function committed(groupId, topic) {
  const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Object.fromEntries((result?.partitions ?? []).map((p) => [p.partition, p.offset]));
}

function sameOffsets(actual, expected) {
  return Object.entries(expected).every(([p, end]) => actual[p] === end);
}

/** Polls `condition` every 100 ms until it is truthy; fails after DEMO_TIMEOUT_MS, with `details()` if given. */
async function waitFor(what, condition, details = () => []) {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) {
      const lines = details().map((line) => `\n  ${line}`);
      throw new DemoError(`timed out after ${TIMEOUT_MS} ms waiting for ${what}${lines.join('')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new DemoError(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function measure(fn) {
  const start = Date.now();
  await fn();
  return Date.now() - start;
}

function eur(cents) {
  return `${(cents / 100).toFixed(2)} EUR`;
}

function total(order) {
  return order.items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)}s`;
}

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`demo: ${name}=${raw} is not an integer >= 1`);
    process.exit(1);
  }
  return value;
}
