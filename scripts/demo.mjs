// `npm run demo`: runs the built sample app (sample-app/dist/main.js) against a real broker, feeds it
// orders and payments on fresh topics, waits until every consumer group has processed and committed
// everything (shipping through its retry topics, accounting in PostgreSQL), stops the app with
// SIGTERM, runs the nightly export job twice (sample-app/dist/jobs/nightly-export.js) and prints a
// short report. Exit 0 on success, 1 otherwise.
//
// Environment: KAFKA_BROKERS (use that cluster; otherwise 127.0.0.1:9092, started here if needed),
// DATABASE_URL (else POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/test: the accounting journal),
// DEMO_ORDERS (default 300), DEMO_PAYMENTS (default 60), DEMO_TIMEOUT_MS (default 60000),
// DEMO_VERBOSE=1 (echo the app's logs), DEMO_KEEP_TOPICS=1 (do not delete the run's topics and groups).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { freePort, operationsReport, readOperations, verifyOperations } from './demo-operations.mjs';

const { Kafka, logLevel, Partitioners } = kafkajs;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP_ENTRY = `${ROOT}sample-app/dist/main.js`;
const EXPORT_ENTRY = `${ROOT}sample-app/dist/jobs/nightly-export.js`;
const DATABASE_URL = process.env.DATABASE_URL ?? process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Must match sample-app/src/config/app-config.ts (SHIPPING_RETRY_DELAYS_MS, journal table). */
const RETRY_DELAYS_MS = [200, 1000];
const JOURNAL_TABLE = 'accounting_journal';
const OFFSETS_TABLE = 'kafka_consumer_offsets';
const ORDERS = positiveInt('DEMO_ORDERS', 300);
const PAYMENTS = Math.min(positiveInt('DEMO_PAYMENTS', 60), ORDERS);
const TIMEOUT_MS = positiveInt('DEMO_TIMEOUT_MS', 60_000);
const VERBOSE = process.env.DEMO_VERBOSE === '1';
/** Logged by Nest once the hybrid app's HTTP server listens (after the consumer started). */
const READY_MESSAGE = 'Nest application successfully started';

/** A failure with a message meant for the user (no stack trace). */
class DemoError extends Error {}

const t0 = Date.now();
const runId = `${new Date().toISOString().slice(11, 19).replaceAll(':', '')}-${randomBytes(2).toString('hex')}`;
const names = {
  orders: `demo-${runId}.orders`,
  payments: `demo-${runId}.payments`,
  groupPrefix: `demo-${runId}.orders-service`,
  exportFile: join(tmpdir(), `demo-${runId}-orders-export.csv`),
};
names.retryTopics = RETRY_DELAYS_MS.map((ms) => `${names.orders}-retry-${ms}`);
// `store`: where the group's offsets live (Kafka's __consumer_offsets, or the PostgreSQL table).
const groups = [
  { label: 'billing', groupId: `${names.groupPrefix}.billing`, topic: names.orders, summary: 'billing summary' },
  { label: 'analytics', groupId: `${names.groupPrefix}.analytics`, topic: names.orders, summary: 'analytics summary' },
  { label: 'shipping', groupId: `${names.groupPrefix}.shipping`, topic: names.orders, summary: 'shipping summary' },
  { label: 'payments (manual commit)', groupId: names.groupPrefix, topic: names.payments, summary: 'ledger summary' },
  {
    label: 'accounting',
    groupId: `${names.groupPrefix}.accounting`,
    topic: names.payments,
    summary: 'journal summary',
    store: 'postgres',
  },
];
const shipping = groups.find((g) => g.label === 'shipping');
const exportGroupId = `${names.groupPrefix}.nightly-export`;

let brokerStartedHere = false;
let app = null;
let kafka = null;
let admin = null;
let producer = null;
let database = null;
const timings = {};

// Ctrl-C: the app gets the signal too (same process group); still stop what this run started.
process.once('SIGINT', () => {
  console.error('\ndemo interrupted: cleaning up');
  cleanup().finally(() => process.exit(130));
});

try {
  for (const entry of [APP_ENTRY, EXPORT_ENTRY]) {
    if (!existsSync(entry)) throw new DemoError(`${entry} not found: run 'npm run build' first`);
  }
  const brokers = await ensureBroker();
  database = new pg.Pool({ connectionString: DATABASE_URL, max: 1, connectionTimeoutMillis: 5000 });
  await database.query('SELECT 1').catch((error) => {
    throw new DemoError(`PostgreSQL does not answer (set DATABASE_URL): ${error.message}`);
  });
  kafka = new Kafka({ clientId: 'orders-demo', brokers, logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  const topics = [
    { topic: names.orders, numPartitions: 3 },
    { topic: names.payments, numPartitions: 2 },
  ];
  await admin.createTopics({ topics, waitForLeaders: true }).catch(async (error) => {
    // A broker that has just started can answer the create before its metadata knows the topics;
    // kafkajs' wait for leaders then throws UNKNOWN_TOPIC_OR_PARTITION instead of asking again.
    if (error?.type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
    await waitFor('the new topics to have leaders', async () => {
      const { topics: found } = await admin
        .fetchTopicMetadata({ topics: topics.map((t) => t.topic) })
        .catch(() => ({ topics: [] }));
      return topics.every((t) => found.find((f) => f.name === t.topic)?.partitions.every((p) => p.leader >= 0));
    });
  });

  const httpPort = await freePort();
  app = startApp(brokers, APP_ENTRY, { HTTP_PORT: String(httpPort) });
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
  let retryProgress = [];
  await waitFor(
    'every group to commit the end of every partition',
    async () => {
      if (app.exited) throw new DemoError(`the sample app exited while consuming (${app.exited})`);
      progress = await Promise.all(groups.map((g) => committed(g)));
      retryProgress = await retryTopicsProgress();
      return (
        progress.every((offsets, i) => sameOffsets(offsets, ends[groups[i].topic])) &&
        retryProgress[0].forwarded >= expected.carrierOutages &&
        retryProgress.every((r) => r.done)
      );
    },
    () => [
      ...groups.map((g, i) => `${g.label} ${JSON.stringify(progress[i])} of ${JSON.stringify(ends[g.topic])}`),
      ...retryProgress.map((r) => `shipping ${r.topic}: ${r.forwarded} forwarded, all committed: ${r.done}`),
    ],
  );
  timings.processed = Date.now() - producedAt;
  const deadLetterGroups = groups.filter((g) => g.topic === names.orders).length;
  const deadLetters = await readDeadLetters(`${names.orders}-dlt`, deadLetterGroups);
  // The app serves its operations over HTTP while it runs: health (terminus) and metrics (prom-client).
  const operations = await readOperations(httpPort);
  const lifecycle = app.logs.filter((l) => ['group joined', 'partitions assigned'].includes(l.message?.msg));

  timings.shutdown = await measure(() => stopApp());
  const summaries = Object.fromEntries(
    groups.map((g) => [g.label, app.logs.find((l) => l.message?.msg === g.summary)?.message]),
  );
  const finalOffsets = await Promise.all(groups.map((g) => committed(g)));
  const retryTopics = await retryTopicsProgress();
  const journal = await journalTotals();

  // The nightly export, twice: the first run exports every order, the second finds nothing new.
  const exports = [];
  for (let run = 1; run <= 2; run++) {
    let summary;
    const time = await measure(async () => (summary = await runExport(brokers)));
    exports.push({ ...summary, time, lines: exportedLines() });
  }

  const problems = verify(summaries, expected, finalOffsets, ends);
  problems.push(...verifyExtras({ expected, summaries, retryTopics, journal, exports }));
  const billingGroup = groups.find((g) => g.label === 'billing').groupId;
  problems.push(...verifyOperations(operations, { billingGroup, ordersTopic: names.orders, orders: expected.orders }));
  if (!lifecycle.some((l) => l.message.msg === 'group joined')) problems.push('no "group joined" lifecycle log line');
  const groupsDeadLettering = new Set(deadLetters.map((d) => d.headers['kafka_dlt-original-consumer-group']));
  if (deadLetters.length !== deadLetterGroups || groupsDeadLettering.size !== deadLetterGroups) {
    problems.push(
      `expected the invalid order in ${names.orders}-dlt once per group (${deadLetterGroups}), found ${deadLetters.length}`,
    );
  }
  printReport({
    brokers,
    expected,
    ends,
    summaries,
    finalOffsets,
    problems,
    deadLetters,
    retryTopics,
    journal,
    exports,
    operations,
    lifecycle,
  });
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

function printReport({
  brokers,
  expected,
  ends,
  summaries,
  finalOffsets,
  problems,
  deadLetters,
  retryTopics,
  journal,
  exports,
  operations,
  lifecycle,
}) {
  const b = summaries.billing ?? {};
  const a = summaries.analytics ?? {};
  const s = summaries.shipping ?? {};
  const l = summaries['payments (manual commit)'] ?? {};
  const j = summaries.accounting ?? {};
  const [first, second] = exports;
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
    `  shipping   ${s.shipped} orders shipped, ${s.transientFailures} carrier outages, ${s.retried} shipped on retry`,
    `  payments   ${l.processed} payments booked (${l.payments} distinct), balance ${eur(l.balanceCents ?? 0)}`,
    `  accounting ${j.entries} journal entries, balance ${eur(j.balanceCents ?? 0)}`,
    '',
    'retry topics (shipping: a failed order waits there while the orders after it go on):',
    ...retryTopics.map(
      (r) => `  ${r.topic.padEnd(48)} ${r.forwarded} forwarded, ${r.done ? 'all committed' : 'NOT all committed'}`,
    ),
    '',
    `exactly-once (accounting: journal row + offset in one PostgreSQL transaction, table ${JOURNAL_TABLE}):`,
    `  ${journal.rows} rows for ${names.payments} (${journal.distinct} distinct payments), ${eur(journal.cents)}; ` +
      `stored offsets ${JSON.stringify(finalOffsets[groups.indexOf(groups.find((g) => g.store === 'postgres'))])}`,
    '',
    `nightly export (polling consumer, group ${exportGroupId}):`,
    `  run 1    exported ${first?.exported} orders (${eur(first?.totalCents ?? 0)}), skipped ${first?.skipped}, ` +
      `${first?.lines} CSV lines, ${seconds(first?.time ?? 0)}`,
    `  run 2    exported ${second?.exported} orders (nothing new since run 1), ${seconds(second?.time ?? 0)}`,
    '',
    `dead-lettered (${names.orders}-dlt, one invalid order, committed after the dead-letter write):`,
    ...deadLetters.map(
      (d) =>
        `  ${String(d.headers['kafka_dlt-original-consumer-group']).padEnd(48)} ` +
        `from p${d.headers['kafka_dlt-original-partition']}@${d.headers['kafka_dlt-original-offset']} ` +
        `${d.headers['kafka_dlt-exception-fqcn']}: ${d.headers['kafka_dlt-exception-message']}`,
    ),
    '',
    'operations (the sample app is a hybrid app: HTTP next to the consumer, read before shutdown):',
    ...operationsReport(operations, names.groupPrefix).map((line) => `  ${line}`),
    `  @OnConsumerEvent lifecycle log: ${lifecycle.filter((e) => e.message.msg === 'group joined').length} group joins, ` +
      `${lifecycle.filter((e) => e.message.msg === 'partitions assigned').length} assignments`,
    '',
    'committed offsets (admin.fetchOffsets after shutdown; committed / log end):',
  ];
  groups.forEach((g, i) => {
    const parts = Object.keys(ends[g.topic])
      .map((p) => `p${p} ${finalOffsets[i][p] ?? '-'}/${ends[g.topic][p]}`)
      .join('  ');
    const where = g.store === 'postgres' ? ' (PostgreSQL)' : '';
    lines.push(`  ${g.groupId.padEnd(48)} ${g.topic.split('.').pop().padEnd(9)} ${parts}${where}`);
  });
  lines.push(
    '',
    `timing   app ready ${seconds(timings.appStart)}, all committed ${seconds(timings.processed)} after producing, ` +
      `SIGTERM shutdown ${seconds(timings.shutdown)}, total ${seconds(Date.now() - t0)}`,
    problems.length === 0
      ? 'result   OK: every group processed every record once and committed the log end; ' +
          'retried orders shipped; journal exactly once; export complete'
      : '',
  );
  for (const p of problems) lines.push(`check failed: ${p}`);
  console.log(lines.filter((x, i, all) => x !== '' || all[i - 1] !== '').join('\n'));
}

function verify(summaries, expected, finalOffsets, ends) {
  const problems = [];
  const b = summaries.billing;
  const a = summaries.analytics;
  const l = summaries['payments (manual commit)'];
  if (groups.some((g) => !summaries[g.label]))
    problems.push('a service did not log its summary at shutdown (was the shutdown clean?)');
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

/** Checks of the retry topics, the PostgreSQL journal and the nightly export. */
function verifyExtras({ expected, summaries, retryTopics, journal, exports }) {
  const problems = [];
  const s = summaries.shipping;
  if (s && (s.shipped !== expected.orders || s.retried !== expected.carrierOutages)) {
    problems.push(
      `shipping shipped ${s.shipped} (${s.retried} on retry), expected ${expected.orders} (${expected.carrierOutages})`,
    );
  }
  const [stage1, ...later] = retryTopics;
  if (stage1.forwarded !== expected.carrierOutages || !stage1.done) {
    problems.push(`${stage1.topic}: ${stage1.forwarded} forwarded, expected ${expected.carrierOutages}, all committed`);
  }
  // The carrier recovers at the second attempt: nothing needs a later stage.
  for (const r of later) if (r.forwarded !== 0) problems.push(`${r.topic}: ${r.forwarded} forwarded, expected 0`);
  const j = summaries.accounting;
  if (
    journal.rows !== expected.payments ||
    journal.distinct !== expected.payments ||
    journal.cents !== expected.paidCents
  ) {
    problems.push(
      `journal holds ${journal.rows} rows / ${journal.cents} cents, expected ${expected.payments} / ${expected.paidCents}`,
    );
  }
  if (j && j.entries < expected.payments) problems.push(`the app's journal summary counts ${j.entries} entries`);
  const [first, second] = exports;
  if (!first || first.exported !== expected.orders || first.skipped !== 1 || first.totalCents !== expected.totalCents) {
    problems.push(`export run 1: ${JSON.stringify(first)}, expected ${expected.orders} orders and 1 skipped`);
  } else if (first.lines !== expected.orders) {
    problems.push(`export file has ${first.lines} lines, expected ${expected.orders}`);
  }
  if (!second || second.exported !== 0 || second.lines !== expected.orders) {
    problems.push(`export run 2: ${JSON.stringify(second)}, expected nothing new`);
  }
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
      // order-10, order-20, ...: the carrier fails their first attempt (sample-app/src/shipping)
      carrierOutages: Math.floor(orderCount / 10),
    },
  };
}

/** Spawns the worker (or a job) with JSON logs; every stdout/stderr line is kept (parsed when it is JSON). */
function startApp(brokers, entry = APP_ENTRY, extraEnv = {}) {
  const child = spawn(process.execPath, [entry], {
    cwd: ROOT,
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_CLIENT_ID: 'orders-service-demo',
      ORDERS_TOPIC: names.orders,
      PAYMENTS_TOPIC: names.payments,
      GROUP_ID_PREFIX: names.groupPrefix,
      DATABASE_URL,
      JOURNAL_TABLE,
      LOG_FORMAT: 'json',
      ...extraEnv,
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

/** Runs the nightly export job to its end; resolves with its summary log line. */
async function runExport(brokers) {
  const job = startApp(brokers, EXPORT_ENTRY, { EXPORT_FILE: names.exportFile, EXPORT_IDLE_MS: '1500' });
  try {
    const { code } = await withTimeout(job.exit, TIMEOUT_MS, 'the nightly export to finish');
    const summary = job.logs.find((l) => l.message?.msg === 'nightly export summary')?.message;
    if (code !== 0 || !summary) throw new DemoError(`the nightly export exited with ${job.exited}`);
    return summary;
  } catch (error) {
    if (!job.exited) job.child.kill('SIGKILL');
    console.error('--- last lines of the nightly export ---');
    for (const line of job.raw.slice(-20)) console.error(line);
    throw error;
  }
}

function exportedLines() {
  if (!existsSync(names.exportFile)) return 0;
  return readFileSync(names.exportFile, 'utf8').split('\n').filter(Boolean).length;
}

/** Per retry topic of the shipping group: records forwarded there, and whether the group committed them all. */
async function retryTopicsProgress() {
  return Promise.all(
    names.retryTopics.map(async (topic) => {
      const end = await logEnds(topic).catch(() => null);
      if (!end) return { topic, forwarded: 0, done: false };
      const offsets = await committed({ ...shipping, topic });
      const forwarded = Object.values(end).reduce((sum, n) => sum + Number(n), 0);
      return { topic, forwarded, done: forwarded === 0 || sameOffsets(offsets, end) };
    }),
  );
}

/** What the accounting journal holds for this run's payments topic (read straight from PostgreSQL). */
async function journalTotals() {
  const { rows } = await database.query(
    `SELECT count(*)::int AS rows, count(DISTINCT payment_id)::int AS distinct, coalesce(sum(amount_cents), 0)::bigint AS cents
       FROM ${JOURNAL_TABLE} WHERE source_topic = $1`,
    [names.payments],
  );
  return { rows: rows[0].rows, distinct: rows[0].distinct, cents: Number(rows[0].cents) };
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
  rmSync(names.exportFile, { force: true });
  if (admin && process.env.DEMO_KEEP_TOPICS !== '1') {
    await admin
      .deleteGroups([...groups.map((g) => g.groupId), exportGroupId, `${names.groupPrefix}.dlt-reader`])
      .catch(() => undefined);
    await admin
      .deleteTopics({
        topics: [names.orders, names.payments, ...names.retryTopics, `${names.orders}-dlt`, `${names.payments}-dlt`],
      })
      .catch(() => undefined);
  }
  if (database && process.env.DEMO_KEEP_TOPICS !== '1') {
    // This run's rows only (the tables may serve other runs): they exist only if the app created the tables.
    await database
      .query(`DELETE FROM ${JOURNAL_TABLE} WHERE source_topic = $1`, [names.payments])
      .catch(() => undefined);
    await database
      .query(`DELETE FROM ${OFFSETS_TABLE} WHERE group_id LIKE $1`, [`${names.groupPrefix}%`])
      .catch(() => undefined);
  }
  await database?.end().catch(() => undefined);
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

/** Committed offsets of a group on a topic ({ partition: offset string }), from Kafka or from PostgreSQL. */
async function committed({ groupId, topic, store }) {
  if (store === 'postgres') {
    const { rows } = await database
      .query(`SELECT partition, next_offset FROM ${OFFSETS_TABLE} WHERE group_id = $1 AND topic = $2`, [groupId, topic])
      .catch(() => ({ rows: [] })); // the table appears when the app first connects
    return Object.fromEntries(
      rows.filter((r) => r.next_offset !== null).map((r) => [r.partition, String(r.next_offset)]),
    );
  }
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
