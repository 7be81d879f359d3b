import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { OrderDto } from './order.dto.js';

/** Counts units sold per SKU (an in-memory stand-in for a metrics pipeline). */
@Injectable()
export class AnalyticsService implements OnApplicationShutdown {
  private readonly logger = new Logger(AnalyticsService.name);
  private readonly unitsBySku = new Map<string, number>();
  private orders = 0;

  track(order: OrderDto): void {
    this.orders++;
    for (const item of order.items) {
      this.unitsBySku.set(item.sku, (this.unitsBySku.get(item.sku) ?? 0) + item.quantity);
    }
  }

  summary() {
    const topSkus = [...this.unitsBySku].toSorted((a, b) => b[1] - a[1]).slice(0, 3);
    return { processed: this.orders, skus: this.unitsBySku.size, topSkus: Object.fromEntries(topSkus) };
  }

  onApplicationShutdown(): void {
    this.logger.log({ msg: 'analytics summary', ...this.summary() });
  }
}
