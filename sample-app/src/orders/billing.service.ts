import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { orderTotalCents, type OrderDto } from './order.dto.js';

/** Charges each order once (an in-memory stand-in for an invoicing system). */
@Injectable()
export class BillingService implements OnApplicationShutdown {
  private readonly logger = new Logger(BillingService.name);
  private readonly invoiced = new Set<string>();
  private charges = 0;
  private totalCents = 0;

  async charge(order: OrderDto): Promise<void> {
    this.charges++;
    if (this.invoiced.has(order.orderId)) return; // redelivery: charging is idempotent
    this.invoiced.add(order.orderId);
    this.totalCents += orderTotalCents(order);
  }

  summary() {
    return { processed: this.charges, invoices: this.invoiced.size, totalCents: this.totalCents };
  }

  onApplicationShutdown(): void {
    this.logger.log({ msg: 'billing summary', ...this.summary() });
  }
}
