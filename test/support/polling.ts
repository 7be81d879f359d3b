import type { DynamicModule, ModuleMetadata } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { AssignerProtocol, type GroupMember, type PartitionAssigner } from 'kafkajs';
import {
  KafkaConsumerModule,
  KafkaConsumerRegistry,
  type KafkaConsumerModuleOptions,
  type PolledRecord,
  type PollingConsumer,
  type PollingConsumerOptions,
} from 'nestjs-kafka-consumer';
import { brokers, waitFor } from './kafka.js';

/**
 * Polling consumers of one Nest module for one test: `create()` builds (and by default
 * connects) one; `close()` closes every one and the module, also after a failure.
 */
export class PollingFixture {
  private moduleRef: TestingModule | undefined;
  private readonly consumers: PollingConsumer[] = [];

  constructor(
    private readonly moduleOptions: Partial<KafkaConsumerModuleOptions> = {},
    private readonly imports: Array<DynamicModule | NonNullable<ModuleMetadata['imports']>[number]> = [],
  ) {}

  async registry(): Promise<KafkaConsumerRegistry> {
    if (!this.moduleRef) {
      this.moduleRef = await Test.createTestingModule({
        imports: [
          ...this.imports,
          KafkaConsumerModule.forRoot({
            client: { clientId: 'polling-test', brokers: brokers() },
            ...this.moduleOptions,
          }),
        ],
      }).compile();
      this.moduleRef.useLogger(process.env.TEST_LOGS ? console : ['error']);
    }
    return this.moduleRef.get(KafkaConsumerRegistry);
  }

  /** A polling consumer of this module, connected unless `connect: false`. */
  async create(options: PollingConsumerOptions, { connect = true } = {}): Promise<PollingConsumer> {
    const consumer = (await this.registry()).createPollingConsumer(options);
    this.consumers.push(consumer);
    if (connect) await consumer.connect();
    return consumer;
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.consumers.splice(0).map((c) => c.close()));
    await this.moduleRef?.close();
    this.moduleRef = undefined;
  }
}

/** Waits until `consumer` has `count` partitions assigned. */
export function waitForAssignment(consumer: PollingConsumer, count: number, timeoutMs = 30_000): Promise<unknown> {
  return waitFor(`${count} partitions assigned`, () => consumer.assignment().length === count, timeoutMs);
}

/** Polls until `predicate` holds for what was polled so far; returns everything polled. */
export async function pollUntil(
  consumer: PollingConsumer,
  what: string,
  predicate: (polled: PolledRecord[]) => boolean,
  timeoutMs = 30_000,
  maxMessages = 500,
): Promise<PolledRecord[]> {
  const polled: PolledRecord[] = [];
  await waitFor(
    what,
    async () => {
      polled.push(...(await consumer.poll({ timeoutMs: 200, maxMessages })));
      return predicate(polled);
    },
    timeoutMs,
    0,
  );
  return polled;
}

const labelOf = (member: GroupMember): string =>
  AssignerProtocol.MemberMetadata.decode(member.memberMetadata)?.userData.toString() ?? '';

/**
 * A kafkajs partition assigner that gives every partition to the member with the greatest
 * `label`: which member owns what is decided by the test, not by member-id order.
 * Every member of the group must use it (with its own label). `beforeAssign` runs when this
 * member, as the group leader, computes an assignment (a test can make it throw).
 */
export function toGreatestLabel(label: string, beforeAssign?: () => void): PartitionAssigner {
  return ({ cluster }) => ({
    name: 'ToGreatestLabel',
    version: 1,
    protocol: ({ topics }) => ({
      name: 'ToGreatestLabel',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(label) }),
    }),
    async assign({ members, topics }) {
      beforeAssign?.();
      const owner = members.toSorted((x, y) => labelOf(y).localeCompare(labelOf(x)))[0];
      const assignment: Record<string, number[]> = {};
      for (const topic of topics) {
        assignment[topic] = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
      }
      return members.map((member) => ({
        memberId: member.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: member === owner ? assignment : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
  });
}
