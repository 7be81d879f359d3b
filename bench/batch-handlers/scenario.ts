// One scenario of bench/batch-handlers.bench.mjs, in its own process: consumes BENCH_COUNT records
// and writes each record's id to PostgreSQL, then prints the common JSON result line.
// BENCH_MODE: per-record (one INSERT per record) | batch (one multi-row INSERT per batch)
//           | per-record-transaction | batch-transaction (the same inside PostgresOffsetStore.transaction()).
import 'reflect-metadata';
import { Controller, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload, type AsyncMicroserviceOptions } from '@nestjs/microservices';
import {
  ConsumeTopic,
  KafkaBatchContext,
  KafkaConsumerContext,
  KafkaConsumerModule,
  KafkaConsumerServer,
  KafkaOffsetStore,
  OffsetStore,
  PostgresOffsetStore,
} from 'nestjs-kafka-consumer';
import pg from 'pg';
import { benchEnv, Meter } from '../scenarios/common.js';

const env = benchEnv();
const meter = new Meter(env.count);
const mode = process.env.BENCH_MODE ?? 'per-record';
const effects = process.env.BENCH_EFFECTS_TABLE!;
const postgresUrl = process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const transactional = mode.endsWith('-transaction');
const batched = mode.startsWith('batch');
const maxSize = Number(process.env.BENCH_BATCH_SIZE ?? '100');
const pool = new pg.Pool({ connectionString: postgresUrl, max: 6 });
type Order = { id: number };

const insertOne = (client: pg.Pool | pg.PoolClient, id: number) =>
  client.query(`INSERT INTO ${effects} (id) VALUES ($1)`, [id]);
const insertMany = (client: pg.Pool | pg.PoolClient, ids: number[]) =>
  client.query(`INSERT INTO ${effects} (id) SELECT unnest($1::bigint[])`, [ids]);

@Controller()
class PerRecordController {
  constructor(@Inject(OffsetStore) private readonly store: OffsetStore) {}

  @ConsumeTopic(env.topic, { groupId: env.groupId, fromBeginning: true })
  async handle(@Payload() order: Order, @Ctx() ctx: KafkaConsumerContext) {
    if (transactional)
      await (this.store as unknown as PostgresOffsetStore).transaction(ctx, (c) => insertOne(c, order.id));
    else await insertOne(pool, order.id);
    meter.record();
  }
}

@Controller()
class BatchController {
  constructor(@Inject(OffsetStore) private readonly store: OffsetStore) {}

  @ConsumeTopic(env.topic, { groupId: env.groupId, fromBeginning: true, batch: { maxSize } })
  async handle(@Payload() orders: Order[], @Ctx() ctx: KafkaBatchContext) {
    const ids = orders.map((order) => order.id);
    if (transactional) await (this.store as unknown as PostgresOffsetStore).transaction(ctx, (c) => insertMany(c, ids));
    else await insertMany(pool, ids);
    for (let i = 0; i < ids.length; i++) meter.record();
  }
}

const offsetStore = transactional ? PostgresOffsetStore : KafkaOffsetStore;
@Module({
  imports: [
    ...(transactional
      ? [PostgresOffsetStore.forRoot({ connection: { connectionString: postgresUrl }, table: process.env.BENCH_TABLE })]
      : []),
    KafkaConsumerModule.forRoot({ client: { clientId: 'bench', brokers: env.brokers }, offsetStore }),
  ],
  controllers: [batched ? BatchController : PerRecordController],
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
await pool.end();
meter.report(mode, ms);
