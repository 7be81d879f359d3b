import { Injectable } from '@nestjs/common';
import { serverNotListening } from './kafka-consumer.messages.js';
import type { TopicPartition } from './offset-stores/offset-store.js';
import { KafkaConsumerServer } from './server/kafka-consumer.server.js';

/** Runtime view of the running consumer groups: the only runtime API besides the context. */
@Injectable()
export class KafkaConsumerRegistry {
  constructor(private readonly server: KafkaConsumerServer) {}

  /** Ids of the groups this app consumes in. */
  getGroupIds(): string[] {
    return [...this.server.groups.keys()];
  }

  /** Partitions currently assigned to this member of `groupId`. */
  getAssignment(groupId: string): TopicPartition[] {
    const runner = this.server.groups.get(groupId);
    if (!runner) throw new Error(`${serverNotListening()} (or no handler consumes in group "${groupId}")`);
    return runner.assignment();
  }
}
