/**
 * Reliability scenario 8: a soak. One member consumes a 200-partition topic for a while at a
 * steady rate, in alternating produce and idle periods; its RSS, heap (after a full collection)
 * and active handles are sampled every few seconds. Over the second half of the run (the first is
 * warm-up: connections, fetch sessions, JIT), the least-squares slope per minute of each is
 * printed, and asserted under bounds a leak crosses and noise does not: memory slopes well above
 * what a flat process shows on a loaded 2-core machine, handles back where they were. The run
 * also goes through the delivery checker: nothing lost, lag 0 at the end.
 *
 * CI size: about 70 s at ~300 records/s. RELIABILITY_SCALE=full: 5 minutes at ~1000 records/s.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnConsumerApp, stopAllConsumerApps, type StatsEvent } from '../support/child-app/spawn-consumer-app.js';
import { DeliveryChecker, type Producing } from '../support/delivery-checker.js';
import { formatReport } from '../support/delivery-ledger.js';
import { brokers, KafkaTestKit, unique, waitFor } from '../support/kafka.js';
import { median, secondHalf, slopePerMinute } from '../support/trend.js';
import { assertDelivery, full, scaled } from './scale.js';

const PARTITIONS = 200;
const DURATION_MS = scaled(70_000, 300_000);
const PRODUCE_MS = scaled(8000, 20_000);
const IDLE_MS = scaled(4000, 10_000);
const SAMPLE_EVERY_MS = scaled(2000, 5000);
const MB = 1024 * 1024;
/**
 * Bounds on the second half's slopes. Measured on a loaded 2-core machine: heap (after a full GC)
 * 0.4 to 1 MB/min when flat, 8.8 MB/min when the handler kept ~530 bytes a record; RSS swings by
 * up to 17 MB/min either way when flat (pages the allocator keeps or returns), so its bound only
 * catches large leaks outside the heap (buffers).
 */
const MAX_HEAP_MB_PER_MIN = 4;
const MAX_RSS_MB_PER_MIN = 30;
/** Handles at the end (median of the last samples) against the start of the second half: 5 to 10 when flat. */
const MAX_HANDLE_GROWTH = 6;

const handles = (s: StatsEvent) => Object.values(s.resources).reduce((sum, n) => sum + n, 0);

describe('reliability: soak over 200 partitions', () => {
  const kit = new KafkaTestKit();
  let checker: DeliveryChecker | undefined;
  let producing: Producing | undefined;
  afterEach(async () => {
    await producing?.stop();
    producing = undefined;
    await checker?.close();
    checker = undefined;
    await stopAllConsumerApps();
    await kit.close();
  });

  it('RSS, heap and active handles stay flat through produce and idle periods (slopes per minute printed)', async () => {
    const topic = await kit.createTopic(unique('rel-soak'), PARTITIONS);
    const groupId = unique('rel-soak');
    checker = new DeliveryChecker(brokers());
    const member = checker.watch(
      await spawnConsumerApp({ topic, groupId, name: 'soak', exposeGc: true, readyTimeoutMs: 90_000 }),
      groupId,
    );

    const samples: StatsEvent[] = [];
    const periods: Array<{ kind: 'produce' | 'idle'; from: number }> = [];
    const started = Date.now();
    let nextSample = started;
    let produced = 0;
    let producingMs = 0;
    while (Date.now() - started < DURATION_MS) {
      const producingPeriod = periods.length % 2 === 0;
      periods.push({ kind: producingPeriod ? 'produce' : 'idle', from: Date.now() });
      if (producingPeriod) {
        producing = checker.startProducing(topic, {
          keys: 1000,
          batchSize: full ? 60 : 30,
          intervalMs: 50,
        });
      }
      const periodEnd = Math.min(Date.now() + (producingPeriod ? PRODUCE_MS : IDLE_MS), started + DURATION_MS);
      while (Date.now() < periodEnd) {
        if (Date.now() >= nextSample) {
          samples.push(await member.stats());
          nextSample += SAMPLE_EVERY_MS;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(nextSample, periodEnd) - Date.now())));
      }
      if (producing) {
        await producing.stop();
        producingMs += Date.now() - periods[periods.length - 1].from;
        produced += producing.acknowledged();
        producing = undefined;
      }
    }
    samples.push(await member.stats());
    const runMs = Date.now() - started;
    await waitFor('the member to handle what was produced', () => member.processed().length >= produced, 120_000);
    const report = await checker.settle(groupId, [topic]);

    const half = secondHalf(samples);
    const series = (value: (s: StatsEvent) => number) => half.map((s) => ({ at: s.at, value: value(s) }));
    const rssSlope = slopePerMinute(series((s) => s.rss / MB));
    const heapSlope = slopePerMinute(series((s) => s.heapUsed / MB));
    const handleSlope = slopePerMinute(series(handles));
    const handlesAtStart = handles(half[0]);
    const handlesAtEnd = median(half.slice(-3).map(handles));
    const mb = (bytes: number) => (bytes / MB).toFixed(1);
    const halfMinutes = (half[half.length - 1].at - half[0].at) / 60_000;
    const halfRecords = member.processed().filter((e) => e.at >= half[0].at && e.at <= half[half.length - 1].at).length;
    const first = samples[0];
    const last = samples[samples.length - 1];
    console.log(
      formatReport(`8 soak, ${PARTITIONS} partitions, ${Math.round(runMs / 1000)} s`, report, {
        periods: periods.length,
        samples: samples.length,
        'records/s while producing': Math.round(produced / (producingMs / 1000)),
        'RSS MB first/half/last': `${mb(first.rss)}/${mb(half[0].rss)}/${mb(last.rss)}`,
        'heap MB first/half/last': `${mb(first.heapUsed)}/${mb(half[0].heapUsed)}/${mb(last.heapUsed)}`,
        'handles first/half/last': `${handles(first)}/${handlesAtStart}/${handles(last)}`,
        'RSS slope MB/min': rssSlope.toFixed(2),
        'heap slope MB/min': heapSlope.toFixed(2),
        'heap growth per record B': halfRecords > 0 ? Math.round((heapSlope * halfMinutes * MB) / halfRecords) : 0,
        'handles slope /min': handleSlope.toFixed(2),
        'handles min/max': `${Math.min(...samples.map(handles))}/${Math.max(...samples.map(handles))}`,
        'handles at the end': JSON.stringify(last.resources),
      }),
    );
    expect(member.exit).toBeNull();
    expect(first.collected, 'the member ran with --expose-gc').toBe(true);
    expect(half.length).toBeGreaterThanOrEqual(5);
    assertDelivery(report);
    expect(heapSlope, 'heap slope over the second half (after a full GC), MB/min').toBeLessThan(MAX_HEAP_MB_PER_MIN);
    expect(rssSlope, 'RSS slope over the second half, MB/min').toBeLessThan(MAX_RSS_MB_PER_MIN);
    expect(handlesAtEnd, 'active handles at the end against the start of the second half').toBeLessThanOrEqual(
      handlesAtStart + MAX_HANDLE_GROWTH,
    );
  }, 600_000);
});
