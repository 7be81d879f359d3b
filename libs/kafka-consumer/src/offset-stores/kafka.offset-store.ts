import { Injectable } from '@nestjs/common';
import { OffsetStore, type OffsetStoreScope, type TopicPartition, type TopicPartitionOffset } from './offset-store.js';

/**
 * Default store: the consumer group's committed offsets in Kafka (`__consumer_offsets`), written
 * with the group's generation, so the broker fences members that lost their partitions.
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
    await scope.consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
  }
}
