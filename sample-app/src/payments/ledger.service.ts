import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { PaymentDto } from './payment.dto.js';

/** Books incoming payments (an in-memory stand-in for a ledger database). */
@Injectable()
export class LedgerService implements OnApplicationShutdown {
  private readonly logger = new Logger(LedgerService.name);
  private readonly booked = new Set<string>();
  private applied = 0;
  private balanceCents = 0;

  async apply(payment: PaymentDto): Promise<void> {
    this.applied++;
    if (this.booked.has(payment.paymentId)) return; // redelivery: booking is idempotent
    this.booked.add(payment.paymentId);
    this.balanceCents += payment.amountCents;
  }

  summary() {
    return { processed: this.applied, payments: this.booked.size, balanceCents: this.balanceCents };
  }

  onApplicationShutdown(): void {
    this.logger.log({ msg: 'ledger summary', ...this.summary() });
  }
}
