import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  KafkaConsumerContext,
  KafkaConsumerModule,
  type KafkaConsumerModuleOptions,
} from 'nestjs-kafka-consumer';
import { startConsumerApp, type ConsumerApp } from './app.js';
import { brokers } from './kafka.js';

/** One record as a member's handler saw it. */
export interface HandledRecord {
  id: string;
  partition: number;
  offset: number;
  startedAt: number;
  /** Unset while the handler runs. */
  finishedAt?: number;
}

/** An in-process member of a consumer group whose handler records what it processed. */
export interface GroupMember extends ConsumerApp {
  readonly name: string;
  /** Every record the handler was invoked for, in order. */
  readonly handled: HandledRecord[];
  /** Records the handler finished. */
  processed(): HandledRecord[];
  /** Partitions of the member's topic it owns now. */
  partitions(): number[];
  /** Each (re)assignment after startup, with when it arrived. */
  readonly joins: Array<{ at: number; partitions: number[] }>;
}

/**
 * Starts a consumer app with one handler for `topic` in `groupId` (fromBeginning). Records are JSON
 * `{ id, delayMs? }`; the handler waits `delayMs` before it returns.
 */
export async function startGroupMember(
  name: string,
  topic: string,
  groupId: string,
  moduleOptions: Partial<KafkaConsumerModuleOptions> = {},
): Promise<GroupMember> {
  const handled: HandledRecord[] = [];

  @Controller()
  class MemberController {
    @ConsumeTopic(topic, { groupId, fromBeginning: true })
    async handle(@Payload() payload: { id: string; delayMs?: number }, @Ctx() ctx: KafkaConsumerContext) {
      const record: HandledRecord = {
        id: payload.id,
        partition: ctx.partition,
        offset: Number(ctx.offset),
        startedAt: Date.now(),
      };
      handled.push(record);
      if (payload.delayMs) await new Promise((resolve) => setTimeout(resolve, payload.delayMs));
      record.finishedAt = Date.now();
    }
  }

  const app = await startConsumerApp({
    imports: [
      KafkaConsumerModule.forRoot({
        ...moduleOptions,
        client: { clientId: name, brokers: brokers() },
        consumer: { heartbeatInterval: 500, ...moduleOptions.consumer },
      }),
    ],
    controllers: [MemberController],
  });
  const runner = app.server.groups.get(groupId)!;
  const joins: GroupMember['joins'] = [];
  runner.consumer.on(runner.consumer.events.GROUP_JOIN, (event) => {
    joins.push({
      at: Date.now(),
      partitions: (event.payload.memberAssignment[topic] ?? []).toSorted((a, b) => a - b),
    });
  });
  return {
    ...app,
    name,
    handled,
    joins,
    processed: () => handled.filter((r) => r.finishedAt !== undefined),
    partitions: () =>
      runner
        .assignment()
        .filter((tp) => tp.topic === topic)
        .map((tp) => tp.partition)
        .toSorted((a, b) => a - b),
  };
}

/** True once `members` own disjoint partition sets that together cover `partitionCount`. */
export function splitsPartitions(members: GroupMember[], partitionCount: number): boolean {
  const owned = members.map((m) => m.partitions());
  const all = owned.flat();
  return owned.every((p) => p.length > 0) && all.length === partitionCount && new Set(all).size === partitionCount;
}
