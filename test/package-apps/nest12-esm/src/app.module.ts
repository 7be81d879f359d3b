import { Module } from '@nestjs/common';
import { KafkaConsumerModule, PostgresOffsetStore, RedisOffsetStore } from 'nestjs-kafka-consumer';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

@Module({
  imports: [
    PostgresOffsetStore.forRoot({
      connection: { connectionString: process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
      table: process.env.APP_PG_TABLE,
    }),
    RedisOffsetStore.forRoot({
      connection: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      keyPrefix: process.env.APP_REDIS_PREFIX,
    }),
    KafkaConsumerModule.forRoot({
      client: { clientId: 'nest12-esm-app', brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',') },
      retry: false,
      deadLetter: { enabled: true, createTopics: true },
    }),
  ],
  controllers: [OrdersController],
  providers: [OrdersService],
})
export class AppModule {}
