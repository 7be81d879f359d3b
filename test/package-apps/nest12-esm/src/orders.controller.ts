import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, PostgresOffsetStore, RedisOffsetStore } from 'nestjs-kafka-consumer';
import { OrdersService, type Order } from './orders.service.js';

export const TOPIC = process.env.APP_TOPIC ?? 'orders';
export const GROUP = process.env.APP_GROUP ?? 'billing';

@Controller()
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @ConsumeTopic(TOPIC, { groupId: GROUP, fromBeginning: true })
  bill(@Payload() order: Order, @Ctx() ctx: KafkaConsumerContext): void {
    this.orders.record(ctx.groupId, order);
  }

  @ConsumeTopic(TOPIC, { groupId: `${GROUP}-pg`, fromBeginning: true, offsetStore: PostgresOffsetStore })
  ledger(@Payload() order: Order, @Ctx() ctx: KafkaConsumerContext): void {
    this.orders.record(ctx.groupId, order);
  }

  @ConsumeTopic(TOPIC, { groupId: `${GROUP}-redis`, fromBeginning: true, offsetStore: RedisOffsetStore })
  audit(@Payload() order: Order, @Ctx() ctx: KafkaConsumerContext): void {
    this.orders.record(ctx.groupId, order);
  }
}
