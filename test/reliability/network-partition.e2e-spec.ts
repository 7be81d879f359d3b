/**
 * Reliability scenario 3: one member's broker traffic is black-holed (a TCP proxy per member that
 * stops forwarding: no RST, no FIN) for longer than the session timeout, while the process keeps
 * running. Its partitions move to the other member; on heal it rejoins; whatever it tried to
 * commit for the old generation is rejected (Kafka) or fenced (external stores), so committed
 * offsets never decrease and nothing committed is delivered again. With the Kafka store and the
 * PostgreSQL and Redis stores. The file store is left out: one process per file (its lock), so a
 * group of two members cannot share it (test/zombie-member.e2e-spec.ts says the same).
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnConsumerApp, stopAllConsumerApps } from '../support/child-app/spawn-consumer-app.js';
import { DeliveryChecker, type CommittedOffset } from '../support/delivery-checker.js';
import { formatReport } from '../support/delivery-ledger.js';
import { brokers, KafkaTestKit, unique, waitFor } from '../support/kafka.js';
import { storeFixture, type StoreFixture } from '../support/offset-stores.js';
import { BrokerProxies } from '../support/proxied/broker-proxies.js';
import { assertDelivery } from './scale.js';

const storeSetup = fileURLToPath(new URL('../support/crash/store-setup.ts', import.meta.url));
const proxiedSetup = fileURLToPath(new URL('../support/proxied/proxied-store-setup.ts', import.meta.url));
const PARTITIONS = 4;
const SESSION_TIMEOUT_MS = 4000;

describe.each(['kafka', 'postgres', 'redis'] as const)(
  'reliability: a member black-holed from the brokers (%s store)',
  (kind) => {
    const kit = new KafkaTestKit();
    let checker: DeliveryChecker | undefined;
    let proxies: BrokerProxies | undefined;
    let store: StoreFixture | undefined;
    afterEach(async () => {
      await checker?.close();
      checker = undefined;
      await stopAllConsumerApps();
      await proxies?.stop();
      await store?.cleanup();
      store = undefined;
      await kit.close();
    });

    it('loses its partitions, rejoins on heal, and its stale commits never lower an offset', async () => {
      const topic = await kit.createTopic(unique(`rel-partition-${kind}`), PARTITIONS);
      const groupId = unique(`rel-partition-${kind}`);
      store = kind === 'kafka' ? undefined : storeFixture(kind);
      const read = store
        ? async (): Promise<CommittedOffset[]> =>
            Object.entries(await store!.read(groupId, topic)).map(([partition, offset]) => ({
              topic,
              partition: Number(partition),
              offset: Number(offset),
            }))
        : undefined;
      proxies = await new BrokerProxies(brokers()).start();
      checker = new DeliveryChecker(brokers());
      const member = {
        topic,
        groupId,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: 300,
        commitIntervalMs: 100,
        handlerDelayMs: 2,
      };
      const storeEnv = { CRASH_STORE: kind, CRASH_STORE_OPTIONS: JSON.stringify(store?.options ?? {}) };
      const isolated = checker.watch(
        await spawnConsumerApp({
          ...member,
          name: 'isolated',
          brokers: proxies.brokers(),
          setupModule: proxiedSetup,
          env: { ...storeEnv, ...proxies.env() },
        }),
        groupId,
      );
      const other = checker.watch(
        await spawnConsumerApp({ ...member, name: 'other', setupModule: storeSetup, env: storeEnv }),
        groupId,
      );
      checker.startSampling(groupId, [topic], 200, read);
      const producing = checker.startProducing(topic, { intervalMs: 40 });
      await waitFor(
        'both members to process records',
        () => isolated.processed().length >= 100 && other.processed().length >= 100,
        60_000,
      );

      const cutAt = Date.now();
      proxies.blackHole();
      await waitFor(
        'the partitions to move to the other member',
        () => other.assignment().length === PARTITIONS,
        60_000,
      );
      const movedMs = Date.now() - cutAt;
      await waitFor(
        'the other member to process records past twice the session timeout',
        () =>
          Date.now() - cutAt > SESSION_TIMEOUT_MS * 2 && other.processed().filter((e) => e.at > cutAt).length >= 100,
        60_000,
      );
      const healAt = Date.now();
      proxies.heal();
      await waitFor(
        'the isolated member to rejoin with partitions',
        () => isolated.events.some((e) => e.type === 'assigned' && e.at >= healAt) && isolated.assignment().length > 0,
        90_000,
      );
      const rejoinMs = Date.now() - healAt;
      await waitFor(
        'the isolated member to process records again',
        () => isolated.processed().filter((e) => e.at > healAt).length >= 20,
        60_000,
      );
      await producing.stop();
      const report = await checker.settle(groupId, [topic], { read });

      console.log(
        formatReport(`3 black-holed member (${kind} store)`, report, {
          'partitions moved after ms': movedMs,
          'rejoined after heal ms': rejoinMs,
        }),
      );
      expect(isolated.exit).toBeNull();
      expect(other.exit).toBeNull();
      assertDelivery(report);
    }, 240_000);
  },
);
