import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_CONSUMER_RESOLVED_OPTIONS } from './kafka-consumer.constants.js';
import { serverNotListening } from './kafka-consumer.messages.js';
import type { ResolvedModuleOptions } from './kafka-consumer.options.js';
import type { TopicPartition } from './offset-stores/offset-store.js';
import { PollingConsumer, type PollingConsumerOptions } from './polling/polling-consumer.js';
import { nestLogCreator } from './server/kafkajs-logger.js';
import { KafkaConsumerServer } from './server/kafka-consumer.server.js';

/** Runtime view of the running consumer groups: the only runtime API besides the context. */
@Injectable()
export class KafkaConsumerRegistry implements OnApplicationShutdown {
  private readonly logger = new Logger('KafkaConsumer');
  private readonly pollingConsumers = new Set<PollingConsumer>();
  private kafka: Kafka | null = null;

  constructor(
    private readonly server: KafkaConsumerServer,
    @Inject(KAFKA_CONSUMER_RESOLVED_OPTIONS) private readonly options: ResolvedModuleOptions,
  ) {}

  /**
   * Creates an imperative consumer (not connected yet) with the module's client settings:
   * `await c.connect(); const records = await c.poll({ timeoutMs, maxMessages }); await c.commit();`.
   * It does not need `app.listen()`; open ones are closed at application shutdown.
   */
  createPollingConsumer(options: PollingConsumerOptions): PollingConsumer {
    this.kafka ??=
      this.server.client ??
      new Kafka({ logLevel: logLevel.WARN, logCreator: nestLogCreator(new Logger('kafkajs')), ...this.options.client });
    const consumer = new PollingConsumer(
      this.kafka,
      { ...options, consumer: { ...this.options.consumer, ...options.consumer } },
      this.logger,
    );
    this.pollingConsumers.add(consumer);
    return consumer;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.pollingConsumers].map((c) => c.close()));
    this.pollingConsumers.clear();
  }

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
