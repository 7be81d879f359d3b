import { Injectable } from '@nestjs/common';
import { OffsetStore, type OffsetStoreScope, type TopicPartition, type TopicPartitionOffset } from './offset-store.js';

/**
 * Default store: the consumer group's committed offsets in Kafka (`__consumer_offsets`), written
 * with the group's generation, so the broker fences members that lost their partitions. A commit
 * is sent under the generation it was computed in, never again after a rejoin (`scope.commitOffsets`).
 */
@Injectable()
export class KafkaOffsetStore extends OffsetStore {
  override get usesKafkaGroupOffsets(): boolean {
    return true;
  }

  async load(_scope: OffsetStoreScope, _partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return [];
  }

  async save(scope: OffsetStoreScope, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    if (scope.commitOffsets) return scope.commitOffsets(offsets);
    await scope.consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
  }
}
