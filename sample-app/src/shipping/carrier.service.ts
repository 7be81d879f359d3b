import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { OrderDto } from '../orders/order.dto.js';

/** The carrier's booking API is briefly unavailable: a failure worth retrying later. */
export class CarrierUnavailableError extends Error {
  constructor(orderId: string) {
    super(`carrier booking API unavailable for ${orderId} (try again later)`);
    this.name = 'CarrierUnavailableError';
  }
}

/**
 * Books a parcel per order (an in-memory stand-in for a carrier's API). Every 10th order meets a
 * short outage: its first booking attempt fails, the next one succeeds.
 */
@Injectable()
export class CarrierService implements OnApplicationShutdown {
  private readonly logger = new Logger(CarrierService.name);
  private readonly attempts = new Map<string, number>();
  private readonly shipped = new Set<string>();
  private transientFailures = 0;

  async book(order: OrderDto): Promise<void> {
    const attempt = (this.attempts.get(order.orderId) ?? 0) + 1;
    this.attempts.set(order.orderId, attempt);
    if (attempt === 1 && isUnlucky(order.orderId)) {
      this.transientFailures++;
      throw new CarrierUnavailableError(order.orderId);
    }
    this.shipped.add(order.orderId);
  }

  summary() {
    const retried = [...this.attempts.values()].filter((n) => n > 1).length;
    return { shipped: this.shipped.size, transientFailures: this.transientFailures, retried };
  }

  onApplicationShutdown(): void {
    this.logger.log({ msg: 'shipping summary', ...this.summary() });
  }
}

/** `order-10`, `order-20`, ...: the orders that hit the outage. */
function isUnlucky(orderId: string): boolean {
  const n = Number(orderId.split('-').pop());
  return Number.isInteger(n) && n % 10 === 0;
}
