import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ConsumeTopic, KafkaConsumerContext, PostgresOffsetStore } from 'nestjs-kafka-consumer';
import { payloadValidation } from '../common/payload-validation.pipe.js';
import { GROUPS, TOPICS } from '../config/app-config.js';
import { PaymentDto } from '../payments/payment.dto.js';
import { JournalRepository } from './journal.repository.js';

@Controller()
export class AccountingController {
  constructor(
    private readonly offsets: PostgresOffsetStore,
    private readonly journal: JournalRepository,
  ) {}

  /**
   * Exactly-once effects: the journal row and the record's offset commit in one PostgreSQL
   * transaction. A record whose offset is already stored is skipped (the callback is not called),
   * and a member that lost the partition has its transaction rejected.
   */
  @ConsumeTopic(TOPICS.payments, { groupId: GROUPS.accounting, offsetStore: PostgresOffsetStore })
  async journalize(@Payload(payloadValidation) payment: PaymentDto, @Ctx() ctx: KafkaConsumerContext): Promise<void> {
    await this.offsets.transaction(ctx, (client) => this.journal.insert(client, ctx.topic, payment));
  }
}
