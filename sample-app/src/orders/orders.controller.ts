import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic } from 'nestjs-kafka-consumer';
import { payloadValidation } from '../common/payload-validation.pipe.js';
import { GROUPS, TOPICS } from '../config/app-config.js';
import { AnalyticsService } from './analytics.service.js';
import { BillingService } from './billing.service.js';
import { OrderDto } from './order.dto.js';

@Controller()
export class OrdersController {
  constructor(
    private readonly billing: BillingService,
    private readonly analytics: AnalyticsService,
  ) {}

  /** Every order is billed; the offset is committed after this returns. */
  @ConsumeTopic(TOPICS.orders, { groupId: GROUPS.billing })
  async bill(@Payload(payloadValidation) order: OrderDto): Promise<void> {
    await this.billing.charge(order);
  }

  /** The same orders, independently, in a second group. */
  @ConsumeTopic(TOPICS.orders, { groupId: GROUPS.analytics, retry: false })
  track(@Payload(payloadValidation) order: OrderDto): void {
    this.analytics.track(order);
  }
}
