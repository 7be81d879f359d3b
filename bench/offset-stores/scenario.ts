// One offset-store scenario of bench/offset-stores.bench.mjs, in its own process: consumes
// BENCH_COUNT records through @ConsumeTopic with the store named by BENCH_STORE and prints the
// common JSON result line. BENCH_STORE: kafka | postgres | postgres-transaction | redis | file.
import 'reflect-metadata';
import { Controller, Inject, Module, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload, type AsyncMicroserviceOptions } from '@nestjs/microservices';
import {
  ConsumeTopic,
  FileOffsetStore,
  KafkaConsumerContext,
  KafkaConsumerModule,
  KafkaConsumerServer,
  KafkaOffsetStore,
  PostgresOffsetStore,
  RedisOffsetStore,
  OffsetStore,
} from 'nestjs-kafka-consumer';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchEnv, Meter, work } from '../scenarios/common.js';

const env = benchEnv();
const meter = new Meter(env.count);
const kind = process.env.BENCH_STORE ?? 'kafka';
const table = process.env.BENCH_TABLE ?? 'kc_bench_offsets';
const effects = process.env.BENCH_EFFECTS_TABLE;
const postgres = {
  connection: { connectionString: process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  table,
};

const stores: Record<string, [Type<OffsetStore>, DynamicModule[]]> = {
  kafka: [KafkaOffsetStore, []],
  postgres: [PostgresOffsetStore, [PostgresOffsetStore.forRoot(postgres)]],
  'postgres-transaction': [PostgresOffsetStore, [PostgresOffsetStore.forRoot(postgres)]],
  redis: [
    RedisOffsetStore,
    [
      RedisOffsetStore.forRoot({
        connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        keyPrefix: `${env.groupId}:`,
      }),
    ],
  ],
  file: [FileOffsetStore, [FileOffsetStore.forRoot({ path: join(tmpdir(), `${env.groupId}.offsets.json`) })]],
};
const [offsetStore, storeModules] = stores[kind];

@Controller()
class OrdersController {
  constructor(@Inject(OffsetStore) private readonly store: OffsetStore) {}

  @ConsumeTopic(env.topic, { groupId: env.groupId, fromBeginning: true })
  async handle(@Payload() order: { id: number }, @Ctx() ctx: KafkaConsumerContext) {
    if (kind === 'postgres-transaction') {
      // The handler's own write and the offset, in one transaction per record.
      await (this.store as PostgresOffsetStore).transaction(ctx, (client) =>
        client.query(`INSERT INTO ${effects} (id) VALUES ($1)`, [order.id]),
      );
    } else {
      void work(ctx.message.value);
    }
    meter.record();
  }
}

@Module({
  imports: [
    ...storeModules,
    KafkaConsumerModule.forRoot({ client: { clientId: 'bench', brokers: env.brokers }, offsetStore }),
  ],
  controllers: [OrdersController],
})
// oxlint-disable-next-line no-extraneous-class -- a Nest module is an empty decorated class
class AppModule {}

const app = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(AppModule, {
  inject: [KafkaConsumerServer],
  useFactory: (server: KafkaConsumerServer) => ({ strategy: server }),
  logger: ['error'],
});
await app.listen();
const ms = await meter.done;
await app.close();
meter.report(kind, ms);
