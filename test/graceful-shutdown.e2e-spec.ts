import { afterEach, describe, expect, it } from 'vitest';
import {
  spawnConsumerApp,
  stopAllConsumerApps,
  type AssignedEvent,
  type ChildConsumerApp,
  type ProcessedEvent,
} from './support/child-app/spawn-consumer-app.js';
import { startGroupMember, splitsPartitions, type GroupMember } from './support/group-member.js';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';

const SLOW_HANDLER_MS = 2000;
/**
 * A member that vanished without leaving is noticed only this long after its last heartbeat (sent
 * at the latest 0.5 s before close()/SIGTERM, however long shutting down then takes).
 */
const SESSION_TIMEOUT_MS = 45_000;
/**
 * The partition reaches the other member within this of the leaving one being gone: the LeaveGroup
 * triggers the rebalance at once (a few seconds on a loaded machine). A member that did not leave
 * would hand over only SESSION_TIMEOUT_MS after its last heartbeat, that is more than 20 s later
 * unless shutting down took over 24 s.
 */
const HANDOVER_BOUND_MS = 20_000;

describe('graceful shutdown with a slow in-flight handler', () => {
  const kit = new KafkaTestKit();
  const members: GroupMember[] = [];
  afterEach(async () => {
    await Promise.all(members.splice(0).map((m) => m.close().catch(() => undefined)));
    await stopAllConsumerApps();
    await kit.close();
  });

  it('app.close() lets the handler finish, commits its offset and hands the partition over at once', async () => {
    const topic = await kit.createTopic(unique('graceful'), 2);
    const groupId = unique('graceful-group');
    const options = { consumer: { sessionTimeout: SESSION_TIMEOUT_MS } };
    const leaving = await startGroupMember('leaving', topic, groupId, options);
    members.push(leaving);
    const staying = await startGroupMember('staying', topic, groupId, options);
    members.push(staying);
    await waitFor('the members to split the partitions', () => splitsPartitions(members, 2));
    const [partition] = leaving.partitions();

    await kit.produce(topic, [{ partition, value: JSON.stringify({ id: 'slow', delayMs: SLOW_HANDLER_MS }) }]);
    const slow = (await waitFor('the slow handler to start', () => leaving.handled.find((r) => r.id === 'slow')))!;
    const closeStartedAt = Date.now();
    await leaving.close();
    const closedAt = Date.now();

    // The handler ran to its end before close() resolved, and its offset (last processed + 1) is committed.
    expect(slow.finishedAt).toBeDefined();
    expect(slow.finishedAt! - slow.startedAt).toBeGreaterThanOrEqual(SLOW_HANDLER_MS - 50);
    expect(slow.finishedAt!).toBeLessThanOrEqual(closedAt);
    expect((await kit.committed(groupId, topic))[partition]).toBe(String(slow.offset + 1));

    const handover = (await waitFor('the staying member to be assigned the partition', () =>
      staying.joins.find((join) => join.at >= closeStartedAt && join.partitions.includes(partition)),
    ))!;
    console.info(
      `graceful close: close() took ${closedAt - closeStartedAt} ms (handler ${SLOW_HANDLER_MS} ms); the other member got the partition ${handover.at - closedAt} ms after close() resolved`,
    );
    // Well before the session timeout: the member left the group instead of being timed out.
    expect(handover.at - closedAt).toBeLessThan(HANDOVER_BOUND_MS);

    await kit.produce(topic, [{ partition, value: JSON.stringify({ id: 'after' }) }]);
    await waitFor('the staying member to process the next record', () =>
      staying.processed().some((r) => r.id === 'after'),
    );
    expect(staying.handled.map((r) => r.id)).not.toContain('slow');
  });

  it('SIGTERM on a worker with enableShutdownHooks() does the same', async () => {
    const topic = await kit.createTopic(unique('graceful-sigterm'), 2);
    const groupId = unique('graceful-sigterm-group');
    const member = { topic, groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, heartbeatIntervalMs: 500 };
    const [leaving, staying] = await Promise.all([
      spawnConsumerApp({ ...member, name: 'leaving' }),
      spawnConsumerApp({ ...member, name: 'staying' }),
    ]);
    await waitFor('the workers to split the partitions', () => splitOf(leaving, staying));
    const [{ partition }] = leaving.assignment();

    await kit.produce(topic, [{ partition, value: JSON.stringify({ id: 'slow', delayMs: SLOW_HANDLER_MS }) }]);
    await leaving.waitForEvent('the slow handler to start', (e) => e.type === 'started' && e.id === 'slow');
    const terminatedAt = Date.now();
    leaving.kill('SIGTERM');
    const exit = await leaving.waitForExit();
    const exitedAt = Date.now();

    // Nest re-raises the signal once its shutdown hooks (and the transport's close()) are done.
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    const slow = leaving.events.find((e): e is ProcessedEvent => e.type === 'processed' && e.id === 'slow');
    expect(slow, 'the slow handler finished before the process exited').toBeDefined();
    expect((await kit.committed(groupId, topic))[partition]).toBe(String(Number(slow!.offset) + 1));

    const handover = await staying.waitForEvent(
      'the staying worker to be assigned the partition',
      (e): e is AssignedEvent =>
        e.type === 'assigned' && e.at >= terminatedAt && e.assignment.some((tp) => tp.partition === partition),
    );
    console.info(
      `graceful SIGTERM: the worker exited ${exitedAt - terminatedAt} ms after SIGTERM (handler ${SLOW_HANDLER_MS} ms); the other worker got the partition ${handover.at - terminatedAt} ms after SIGTERM`,
    );
    expect(handover.at - exitedAt).toBeLessThan(HANDOVER_BOUND_MS);

    await kit.produce(topic, [{ partition, value: JSON.stringify({ id: 'after' }) }]);
    await staying.waitForEvent(
      'the staying worker to process the next record',
      (e) => e.type === 'processed' && e.id === 'after',
    );
    expect(staying.processed().map((e) => e.id)).not.toContain('slow');
  });
});

function splitOf(a: ChildConsumerApp, b: ChildConsumerApp): boolean {
  const mine = a.assignment().map((tp) => tp.partition);
  const theirs = b.assignment().map((tp) => tp.partition);
  return mine.length === 1 && theirs.length === 1 && mine[0] !== theirs[0];
}
