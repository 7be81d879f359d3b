/**
 * Reliability scenario 1: a broker of a three-node cluster (replication factor 3,
 * min.insync.replicas=2) is SIGKILLed mid-stream — the group coordinator, then a partition leader
 * of the dead-letter topic while records are being dead-lettered. Nothing may be lost (the
 * dead-letter topic included), a duplicate only inside the uncommitted window, no order violation
 * within a partition or key, no committed offset going down; the time to resume is printed.
 * Scenario 2 shares the cluster: every node down for longer than the client's retry budget; the
 * member neither exits nor spins, and resumes without loss once the nodes are back.
 */
import { readFileSync } from 'node:fs';
import { ConfigResourceTypes } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnConsumerApp, stopAllConsumerApps } from '../support/child-app/spawn-consumer-app.js';
import { DeliveryChecker } from '../support/delivery-checker.js';
import { formatReport } from '../support/delivery-ledger.js';
import { createTopics, unique, waitFor } from '../support/kafka.js';
import { startPrivateCluster, type PrivateCluster } from '../support/private-cluster.js';
import { assertDelivery, full } from './scale.js';

const PARTITIONS = 6;

describe('reliability: a broker of the cluster is killed', () => {
  let cluster: PrivateCluster;
  let checker: DeliveryChecker | undefined;
  beforeAll(async () => {
    cluster = await startPrivateCluster();
  }, 180_000);
  afterEach(async () => {
    await checker?.close();
    checker = undefined;
    await stopAllConsumerApps();
    // The next test needs all three nodes.
    if (cluster && [1, 2, 3].some((n) => !cluster.isRunning(n))) await cluster.restartStopped();
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  /**
   * Two members consume `topic` and its dead-letter topic; every 10th record fails and is
   * dead-lettered. `pickVictim` names the node to SIGKILL once records flow.
   */
  async function killMidStream(scenario: string, pickVictim: (topic: string, groupId: string) => Promise<number>) {
    const started = Date.now();
    const phase = (what: string) => {
      if (process.env.TEST_LOGS) console.log(`[${scenario}] +${Date.now() - started} ms ${what}`);
    };
    const admin = await cluster.admin();
    const topic = unique('rel-broker');
    const dlt = `${topic}-dlt`;
    const groupId = unique('rel-broker-group');
    await createTopics(
      admin,
      [topic, dlt].map((t) => ({ topic: t, numPartitions: PARTITIONS, replicationFactor: 3 })),
    );
    checker = new DeliveryChecker(cluster.brokers);
    const member = {
      topic: [topic, dlt],
      groupId,
      brokers: cluster.brokers,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
      handlerDelayMs: 1,
      moduleOptions: { deadLetter: {} },
      readyTimeoutMs: 120_000,
    };
    const members = await Promise.all(
      ['a', 'b'].map(async (name) => checker!.watch(await spawnConsumerApp({ ...member, name }), groupId)),
    );
    const producing = checker.startProducing(topic, {
      // Enough keys that every partition gets records (24 left one of 6 partitions empty about 7% of runs).
      keys: 96,
      batchSize: 10,
      intervalMs: full ? 20 : 40,
      failEvery: 10,
    });
    checker.startSampling(groupId, [topic, dlt]);
    const groups = [groupId, `${groupId}/dlt`];
    await waitFor(
      'records to flow, some dead-lettered',
      () => {
        const seen = checker!.report(groups);
        return seen.delivered >= 200 && checker!.deliveredCount([`${groupId}/dlt`]) >= 10;
      },
      90_000,
    );

    phase('records flow');
    const victim = await pickVictim(dlt, groupId);
    await checker.sampleCommitted(groupId, [topic, dlt]);
    // Resumed = a record written after the kill handled on every partition.
    const endsAtFault = new Map(
      (await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)] as const),
    );
    const atFault = checker.deliveredCount(groups);
    const faultAt = Date.now();
    await cluster.stopNode(victim, 'KILL');
    phase(`node ${victim} killed`);
    // On a timeout, what each member owns and processed since the fault, and the group's offsets.
    const diagnose = async () => {
      const lines = members.map((m) => {
        const assigned = m.events.filter((e) => e.type === 'assigned' || e.type === 'ready').at(-1);
        const since = m.processed().filter((e) => e.at >= faultAt);
        const byPartition = new Map<string, number>();
        for (const e of since)
          byPartition.set(
            `${e.topic === dlt ? 'dlt' : 'main'}[${e.partition}]`,
            (byPartition.get(`${e.topic === dlt ? 'dlt' : 'main'}[${e.partition}]`) ?? 0) + 1,
          );
        const owned = assigned?.assignment.map((a) => `${a.topic === dlt ? 'dlt' : 'main'}[${a.partition}]`).join(' ');
        return `${m.name}: exit=${JSON.stringify(m.exit)} assigned at +${assigned ? assigned.at - faultAt : '?'} ms: ${owned}; processed since fault: ${[...byPartition].map(([k, v]) => `${k}=${v}`).join(' ')}`;
      });
      try {
        const admin = await cluster.admin();
        const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
        const ends = await admin.fetchTopicOffsets(topic);
        lines.push(
          `main committed/end: ${committed[0].partitions
            .map((p) => `[${p.partition}] ${p.offset}/${ends.find((e) => e.partition === p.partition)?.high}`)
            .join(' ')}`,
        );
      } catch (error) {
        lines.push(`offsets unavailable: ${String(error)}`);
      }
      lines.push(`acknowledged=${producing.acknowledged()} failedSends=${producing.failedSends()}`);
      return lines.join('\n');
    };
    await waitFor(
      'records to flow again after the kill',
      () => checker!.deliveredCount(groups) >= atFault + 300,
      150_000,
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await diagnose()}`);
    });
    const resumed = await waitFor(
      'every partition to be consumed again',
      () => {
        const ms = checker!.resumedWithin(groupId, topic, endsAtFault, faultAt);
        return ms === undefined ? undefined : { resumeMs: ms };
      },
      120_000,
    ).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await diagnose()}`);
    });
    phase('resumed');
    await cluster.restartStopped();
    phase('node restarted');
    await waitFor(
      'a few more records with all nodes back',
      () => checker!.deliveredCount(groups) >= atFault + 600,
      120_000,
    );
    await producing.stop();
    phase('producer stopped');

    const report = await checker.settle(groupId, [topic, dlt]);
    phase('lag 0');

    console.log(
      formatReport(scenario, report, {
        'killed node': victim,
        'failed sends': producing.failedSends(),
        'dead-lettered': checker.deliveredCount([`${groupId}/dlt`]),
        'time to resume ms': resumed!.resumeMs,
      }),
    );
    for (const m of members) expect(m.exit, `${m.name} stays up`).toBeNull();
    assertDelivery(report);
    expect(checker.report([`${groupId}/dlt`]).delivered).toBeGreaterThan(0);
  }

  it('the group coordinator: 0 lost (dead-letter topic included), resumes on every partition', async () => {
    await killMidStream('1a coordinator killed', (_dlt, groupId) =>
      waitFor('the group coordinator', () => cluster.coordinatorOf(groupId), 30_000),
    );
  }, 420_000);

  it("creates the dead-letter topic with the source's partitions, replication factor and min.insync.replicas (L4)", async () => {
    const admin = await cluster.admin();
    const topic = unique('rel-dlt-create');
    const dlt = `${topic}-dlt`;
    await createTopics(admin, [
      {
        topic,
        // Not the cluster's defaults (3 and 2): what the dead-letter topic gets is copied, not defaulted.
        numPartitions: 4,
        replicationFactor: 2,
        configEntries: [{ name: 'min.insync.replicas', value: '1' }],
      },
    ]);
    await spawnConsumerApp({
      topic,
      groupId: unique('rel-dlt-create-group'),
      name: 'dlt-create',
      brokers: cluster.brokers,
      moduleOptions: { deadLetter: { enabled: true, createTopics: true } },
      readyTimeoutMs: 120_000,
    });
    // The failure topics are created at startup, before any record.
    await waitFor('the dead-letter topic', async () => (await admin.listTopics()).includes(dlt), 60_000);
    const { topics } = await admin.fetchTopicMetadata({ topics: [dlt] });
    expect(topics[0].partitions).toHaveLength(4);
    expect(new Set(topics[0].partitions.map((p) => p.replicas.length))).toEqual(new Set([2]));
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: dlt, configNames: ['min.insync.replicas'] }],
    });
    expect(resources[0].configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('1');
  }, 180_000);

  // CI runs the coordinator kill; the two below take about two minutes each (RELIABILITY_SCALE=full).
  it.runIf(full)(
    'a leader of the dead-letter topic while records are dead-lettered: 0 lost, resumes',
    async () => {
      await killMidStream('1b dead-letter leader killed', async (dlt, groupId) => {
        const coordinator = await cluster.coordinatorOf(groupId);
        // Prefer a leader that is not also the coordinator: that case is the test above.
        for (let partition = 0; partition < PARTITIONS; partition++) {
          const leader = await cluster.leaderOf(dlt, partition);
          if (leader !== coordinator) return leader;
        }
        return cluster.leaderOf(dlt, 0);
      });
    },
    300_000,
  );

  it.runIf(full)(
    'all brokers down past the retry budget: the member stays up without spinning, then resumes losing nothing',
    async () => {
      const admin = await cluster.admin();
      const topic = unique('rel-outage');
      const groupId = unique('rel-outage-group');
      await createTopics(admin, [{ topic, numPartitions: 3, replicationFactor: 3 }]);
      checker = new DeliveryChecker(cluster.brokers);
      const member = checker.watch(
        await spawnConsumerApp({
          topic,
          groupId,
          name: 'outage',
          readyTimeoutMs: 120_000,
          sessionTimeoutMs: 10_000,
          heartbeatIntervalMs: 1000,
          // A small retry budget (about 3 s) so the outage outlasts it.
          moduleOptions: {
            client: {
              clientId: 'rel-outage',
              brokers: cluster.brokers,
              retry: { retries: 2, initialRetryTime: 300, maxRetryTime: 1000 },
            },
          },
        }),
        groupId,
      );
      const first = checker.startProducing(topic, { total: 300, intervalMs: 20 });
      await waitFor('the first records', () => checker!.deliveredCount([groupId]) >= 300, 90_000);
      await first.stop();

      const downAt = Date.now();
      const cpuBefore = cpuMs(member.pid);
      await cluster.stopAll();
      // Past the retry budget: kafkajs gives up and the library's crash policy takes over.
      await waitFor(
        'the member to report the crash and a restart',
        () => /onCrash: restarting|crashed and restarts/.test(member.output()),
        90_000,
      );
      await waitFor('20 s of outage', () => Date.now() - downAt > 20_000, 30_000, 500);
      const outageMs = Date.now() - downAt;
      const cpuShare = (cpuMs(member.pid) - cpuBefore) / outageMs;
      expect(member.exit, 'the member is still running').toBeNull();
      const restarts = member.output().match(/onCrash: restarting|crashed and restarts/g)?.length ?? 0;

      await cluster.restartStopped();
      const upAt = Date.now();
      const second = checker.startProducing(topic, { total: 300, intervalMs: 20 });
      await waitFor('the producer to finish', () => second.acknowledged() >= 300, 120_000);
      await second.stop();
      const report = await checker.settle(groupId, [topic], { timeoutMs: 180_000 });
      const resumedMs = Date.now() - upAt;
      console.log(
        formatReport('2 all brokers down', report, {
          'outage ms': outageMs,
          'member cpu share during outage': cpuShare.toFixed(3),
          'crash log lines': restarts,
          'caught up after restart ms': resumedMs,
        }),
      );
      expect(member.exit).toBeNull();
      // Not spinning: a busy loop would use a whole core; backoff keeps it far below.
      expect(cpuShare).toBeLessThan(0.5);
      expect(restarts).toBeLessThan(50);
      assertDelivery(report);
    },
    400_000,
  );
});

/** CPU time (user + system) a process used so far, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat; index 11 and 12 after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}
