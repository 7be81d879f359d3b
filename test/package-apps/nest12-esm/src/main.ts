import { NestFactory } from '@nestjs/core';
import type { AsyncMicroserviceOptions } from '@nestjs/microservices';
import { KafkaConsumerServer } from 'nestjs-kafka-consumer';
import { AppModule } from './app.module.js';
import { OrdersService } from './orders.service.js';

// Consumes until every group received one record, then leaves the groups (committing) and exits.
const app = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(AppModule, {
  inject: [KafkaConsumerServer],
  useFactory: (server: KafkaConsumerServer) => ({ strategy: server }),
  logger: ['error', 'warn'],
});
app.enableShutdownHooks();
await app.listen();
const orders = app.get(OrdersService);
const deadline = Date.now() + 60_000;
while (new Set(orders.received.map((r) => r.group)).size < 3 && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await app.close();
console.log(`CONSUMED ${JSON.stringify(orders.received)}`);
