import { Injectable } from '@nestjs/common';
import { importOptional } from '../offset-stores/optional-dependency.js';
import { KafkaConsumerServer } from '../server/kafka-consumer.server.js';
import type { ConsumerHealth } from './consumer-health.js';

/** What `isHealthy(key)` adds under its key (besides terminus' `status`). */
export type KafkaConsumerHealthDetails = Omit<ConsumerHealth, 'healthy'>;

/** A `@nestjs/terminus` health indicator result: `{ [key]: { status, groups, problems } }`. */
export type KafkaConsumerHealthResult<Key extends string = string> = {
  [K in Key]: { status: 'up' | 'down' } & KafkaConsumerHealthDetails;
};

/**
 * Health of the consumer groups for `@nestjs/terminus` (an optional peer dependency, imported
 * when first used): per group its status, assigned partitions with their lag, and blocked
 * partitions with the record, reason and since when. Down when a group crashed or was not
 * connected for longer than `health.maxUnavailableMs`, or a partition has been blocked longer than
 * `health.maxBlockedMs`.
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.kafka.isHealthy('kafka')]); }
 * ```
 */
@Injectable()
export class KafkaConsumerHealthIndicator {
  constructor(private readonly server: KafkaConsumerServer) {}

  /** Checks every consumer group; `key` names the result (default `'kafka'`). */
  async isHealthy<const Key extends string = 'kafka'>(
    key: Key = 'kafka' as Key,
  ): Promise<KafkaConsumerHealthResult<Key>> {
    const terminus = await importOptional(
      () => import('@nestjs/terminus'),
      '@nestjs/terminus',
      'KafkaConsumerHealthIndicator',
    );
    const { healthy, ...details } = this.server.observability.health();
    const session = new terminus.HealthIndicatorService().check(key);
    const result = healthy ? session.up(details) : session.down(details);
    return result as unknown as KafkaConsumerHealthResult<Key>;
  }

  /** The same evaluation without terminus (a plain object), e.g. for a readiness endpoint of your own. */
  check(): ConsumerHealth {
    return this.server.observability.health();
  }
}
