import { afterEach, describe, expect, it } from 'vitest';
import { KafkaTestKit, unique, waitFor } from './support/kafka.js';
import { PollingFixture } from './support/polling.js';

describe('PollingConsumer.close() while subscribe() is joining', () => {
  const kit = new KafkaTestKit();
  const fixture = new PollingFixture();
  afterEach(async () => {
    await fixture.close();
    await kit.close();
  });

  it('leaves the group: the broker no longer lists the member once close() resolves', async () => {
    const topic = await kit.createTopic(unique('close-joining'), 2);
    const groupId = unique('close-joining-group');
    const admin = await kit.getAdmin();
    const members = async () => (await admin.describeGroups([groupId])).groups[0]?.members ?? [];
    const first = await fixture.create({
      groupId,
      topics: [topic],
      consumer: { sessionTimeout: 30_000, heartbeatInterval: 3000 },
    });
    await waitFor('the first member assigned both partitions', () => first.assignment().length === 2);
    // The second member's join waits until the first rejoins (up to its 3 s heartbeat): time to close it mid-join.
    const second = await fixture.create(
      { groupId, topics: [topic], consumer: { sessionTimeout: 30_000 } },
      { connect: false },
    );
    const connecting = second.connect().catch(() => undefined);
    await waitFor('the broker to list the second member', async () => (await members()).length === 2, 30_000, 20);
    await second.close();
    await connecting;
    // Without a LeaveGroup the broker would keep listing it until its 30 s session expired.
    expect((await members()).length).toBe(1);
  });
});
