import { Injectable } from '@nestjs/common';
import { NonRetriableError } from 'nestjs-kafka-consumer';

export interface Order {
  id: number;
  quantity: number;
}

/** Keeps what the consumers received; an order without quantity is rejected for good. */
@Injectable()
export class OrdersService {
  readonly received: Array<{ group: string; order: Order }> = [];

  record(group: string, order: Order): void {
    if (order.quantity <= 0) throw new NonRetriableError(`order ${order.id} has no quantity`);
    this.received.push({ group, order });
  }
}
