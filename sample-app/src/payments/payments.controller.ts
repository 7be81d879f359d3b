import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext } from 'nestjs-kafka-consumer';
import { payloadValidation } from '../common/payload-validation.pipe.js';
import { TOPICS } from '../config/app-config.js';
import { LedgerService } from './ledger.service.js';
import { PaymentDto } from './payment.dto.js';

@Controller()
export class PaymentsController {
  constructor(private readonly ledger: LedgerService) {}

  /** Payments in the service's default group, committed explicitly once booked. */
  @ConsumeTopic(TOPICS.payments, { commit: 'manual' })
  async pay(@Payload(payloadValidation) payment: PaymentDto, @Ctx() ctx: KafkaConsumerContext): Promise<void> {
    await this.ledger.apply(payment);
    await ctx.commit();
  }
}
