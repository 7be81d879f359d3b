/**
 * Reliability scenario 7: one record's handler runs 3× the session timeout in a group of two
 * member processes under steady traffic. No rebalance meanwhile (neither member is reassigned),
 * the long record's offset is committed once it finishes, and the delivery checker finds nothing
 * lost, duplicated, reordered or regressed. (test/long-handler.e2e-spec.ts covers one in-process
 * member; this adds a second member, which would see any rebalance, and the checker.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnConsumerApp, stopAllConsumerApps } from '../support/child-app/spawn-consumer-app.js';
import { DeliveryChecker } from '../support/delivery-checker.js';
import { formatReport } from '../support/delivery-ledger.js';
import { brokers, KafkaTestKit, unique, waitFor } from '../support/kafka.js';
import { assertDelivery } from './scale.js';

const PARTITIONS = 4;
const SESSION_TIMEOUT_MS = 6000;
const LONG_MS = SESSION_TIMEOUT_MS * 3;
const LONG_RECORD = 200;

describe('reliability: a handler running 3× the session timeout', () => {
  const kit = new KafkaTestKit();
  let checker: DeliveryChecker | undefined;
  afterEach(async () => {
    await checker?.close();
    checker = undefined;
    await stopAllConsumerApps();
    await kit.close();
  });

  it('causes no rebalance, and its offset is committed once it finishes', async () => {
    const topic = await kit.createTopic(unique('rel-long'), PARTITIONS);
    const groupId = unique('rel-long-group');
    checker = new DeliveryChecker(brokers());
    const member = {
      topic,
      groupId,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: 500,
      handlerDelayMs: 1,
    };
    const members = await Promise.all(
      ['a', 'b'].map(async (name) => checker!.watch(await spawnConsumerApp({ ...member, name }), groupId)),
    );
    await waitFor('both members to own partitions', () => members.every((m) => m.assignment().length > 0), 60_000);
    const assignedBefore = members.map((m) => m.events.filter((e) => e.type === 'assigned').length);
    checker.startSampling(groupId, [topic]);
    const producing = checker.startProducing(topic, {
      intervalMs: 50,
      total: LONG_RECORD * 3,
      extra: (n) => (n === LONG_RECORD ? { delayMs: LONG_MS } : undefined),
    });

    // Ids are acknowledged in production order (one send at a time).
    const longId = await waitFor(
      'the long record to be produced',
      () => checker!.ledger.producedIds()[LONG_RECORD],
      60_000,
    );
    const started = await waitFor(
      'the long record to start',
      () => members.flatMap((m) => m.events).find((e) => e.type === 'started' && e.id === longId),
      60_000,
    ).then((e) => e!);
    const finished = await waitFor(
      'the long record to finish',
      () => members.flatMap((m) => m.processed()).find((e) => e.id === longId),
      LONG_MS + 60_000,
    ).then((e) => e!);
    const ranMs = finished.at - started.at;
    await producing.stop();
    const report = await checker.settle(groupId, [topic]);
    const committed = await kit.committed(groupId, topic);

    const rebalances = members.map((m, i) => m.events.filter((e) => e.type === 'assigned').length - assignedBefore[i]);
    console.log(formatReport('7 long handler', report, { 'handler ms': ranMs, rebalances: rebalances.join('+') }));
    expect(ranMs).toBeGreaterThanOrEqual(LONG_MS);
    expect(rebalances, 'no member was reassigned while the long handler ran').toEqual([0, 0]);
    expect(Number(committed[finished.partition])).toBeGreaterThan(Number(finished.offset));
    // Handled once: the session never expired, so nobody else got it.
    expect(report.duplicates.find((d) => d.id === longId)).toBeUndefined();
    assertDelivery(report);
  }, 180_000);
});
