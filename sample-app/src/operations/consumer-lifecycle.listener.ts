import { Injectable, Logger } from '@nestjs/common';
import { OnConsumerEvent, type KafkaConsumerEvents } from 'nestjs-kafka-consumer';

const describe = (partitions: ReadonlyArray<{ topic: string; partition: number }>) =>
  partitions.map((p) => `${p.topic}[${p.partition}]`).join(', ');

/** Logs the lifecycle of the consumer groups: joins, assignments, crashes, blocked partitions. */
@Injectable()
export class ConsumerLifecycleListener {
  private readonly logger = new Logger('ConsumerLifecycle');

  @OnConsumerEvent('connected')
  connected({ groupId, generation }: KafkaConsumerEvents['connected']) {
    this.logger.log({ msg: 'group joined', groupId, generation });
  }

  @OnConsumerEvent('partitions.assigned')
  assigned({ groupId, partitions }: KafkaConsumerEvents['partitions.assigned']) {
    this.logger.log({ msg: 'partitions assigned', groupId, partitions: describe(partitions) });
  }

  @OnConsumerEvent('partitions.revoked')
  revoked({ groupId, partitions }: KafkaConsumerEvents['partitions.revoked']) {
    this.logger.log({ msg: 'partitions revoked', groupId, partitions: describe(partitions) });
  }

  @OnConsumerEvent('partition.blocked')
  blocked({ groupId, topic, partition, offset, reason, error }: KafkaConsumerEvents['partition.blocked']) {
    const line = {
      msg: 'partition blocked',
      groupId,
      topic,
      partition,
      offset,
      reason,
      ...(error !== undefined && { error: String(error) }),
    };
    // A retry-topic record waiting for its due time is expected; anything else needs a look.
    if (reason === 'waiting-for-due-time') this.logger.debug(line);
    else this.logger.warn(line);
  }

  @OnConsumerEvent('crashed')
  crashed({ groupId, error, action }: KafkaConsumerEvents['crashed']) {
    this.logger.error({ msg: 'consumer crashed', groupId, action, error: String(error) });
  }
}
