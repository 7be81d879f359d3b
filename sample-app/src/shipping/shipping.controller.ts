import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ConsumeTopic } from 'nestjs-kafka-consumer';
import { payloadValidation } from '../common/payload-validation.pipe.js';
import { GROUPS, SHIPPING_RETRY_DELAYS_MS, TOPICS } from '../config/app-config.js';
import { OrderDto } from '../orders/order.dto.js';
import { CarrierService } from './carrier.service.js';

@Controller()
export class ShippingController {
  constructor(private readonly carrier: CarrierService) {}

  /**
   * Ships every order. When the carrier fails, the order waits in `<orders>-retry-200`, then
   * `<orders>-retry-1000`, then goes to `<orders>-dlt`, while the other orders go on (their order
   * is not kept for a retried record). An invalid order goes straight to the dead-letter topic.
   */
  @ConsumeTopic(TOPICS.orders, {
    groupId: GROUPS.shipping,
    retryTopics: { delaysMs: SHIPPING_RETRY_DELAYS_MS, createTopics: true },
  })
  async ship(@Payload(payloadValidation) order: OrderDto): Promise<void> {
    await this.carrier.book(order);
  }
}
