import { Controller, Inject, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  ConsumeTopic,
  KafkaConsumerModule,
  OffsetStore,
  type ClaimedPartition,
  type OffsetStoreScope,
  type TopicPartition,
  type TopicPartitionOffset,
} from 'nestjs-kafka-consumer';
import { afterEach, describe, expect, it } from 'vitest';
import { startConsumerApp, type ConsumerApp } from './support/app.js';
import { brokers, KafkaTestKit, unique, waitFor } from './support/kafka.js';

const OFFSETS_TABLE = Symbol('OFFSETS_TABLE');

/** Stands for a user's repository (a TypeORM/Prisma repository, a config service...). */
@Injectable()
class OffsetsRepository {
  readonly loads: string[] = [];
  constructor(@Inject(OFFSETS_TABLE) readonly rows: Map<string, string>) {}
}

@Module({})
// oxlint-disable-next-line no-extraneous-class -- a Nest dynamic module: a class with a static factory
class RepositoryModule {
  /** `rows` outlives the app, as a database table does. */
  static over(rows: Map<string, string>): DynamicModule {
    return {
      module: RepositoryModule,
      providers: [{ provide: OFFSETS_TABLE, useValue: rows }, OffsetsRepository],
      exports: [OffsetsRepository],
    };
  }
}

@Injectable()
class RepositoryOffsetStore extends OffsetStore {
  constructor(private readonly repository: OffsetsRepository) {
    super();
  }

  async load(scope: OffsetStoreScope, partitions: readonly TopicPartition[]): Promise<ClaimedPartition[]> {
    return partitions.map(({ topic, partition }) => {
      const key = `${scope.groupId}/${topic}/${partition}`;
      this.repository.loads.push(key);
      return { topic, partition, offset: this.repository.rows.get(key) };
    });
  }

  async save(scope: OffsetStoreScope, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    for (const { topic, partition, offset } of offsets) {
      this.repository.rows.set(`${scope.groupId}/${topic}/${partition}`, offset);
    }
  }
}

describe('a custom offset store', () => {
  const kit = new KafkaTestKit();
  const apps: ConsumerApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await kit.close();
  });

  it('is built by Nest with its injected provider through forRootAsync, and positions the consumer', async () => {
    const topic = await kit.createTopic(unique('custom-store'), 1);
    const groupId = unique('custom');
    const seen: number[] = [];

    @Controller()
    class Handler {
      @ConsumeTopic(topic, { groupId, fromBeginning: true })
      handle(@Payload() p: { id: number }) {
        seen.push(p.id);
      }
    }

    await kit.produce(
      topic,
      Array.from({ length: 30 }, (_, id) => ({ value: JSON.stringify({ id }) })),
    );
    const table = new Map<string, string>();
    const start = () =>
      startConsumerApp({
        imports: [
          KafkaConsumerModule.forRootAsync({
            imports: [RepositoryModule.over(table)],
            inject: [OffsetsRepository],
            useFactory: (repository: OffsetsRepository) => {
              expect(repository.rows).toBe(table);
              return {
                client: { clientId: 'custom-store', brokers: brokers() },
                offsetStore: RepositoryOffsetStore,
                commitIntervalMs: 100,
              };
            },
          }),
        ],
        controllers: [Handler],
      });
    const key = `${groupId}/${topic}/0`;

    const app = await start();
    apps.push(app);
    await waitFor('30 records', () => seen.length >= 30);
    await waitFor('the offset saved through the repository', () => table.get(key) === '30');
    expect(app.app.get(OffsetsRepository, { strict: false }).loads).toEqual([key]);
    expect(app.app.get(OffsetStore, { strict: false })).toBeInstanceOf(RepositoryOffsetStore);
    await app.close();

    // A restart positions the partition where the repository says: moved back to 25 here.
    table.set(key, '25');
    seen.length = 0;
    apps.push(await start());
    await waitFor('the 5 records after offset 25', () => seen.length >= 5);
    await waitFor('the offset saved again', () => table.get(key) === '30');
    expect(seen).toEqual([25, 26, 27, 28, 29]);
  });
});
