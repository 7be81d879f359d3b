import { Injectable } from '@nestjs/common';

/**
 * Topic and group names are fixed when the decorators run (at import), so they are plain constants
 * read from the environment; everything else is injected through `AppConfig`.
 */
const groupPrefix = process.env.GROUP_ID_PREFIX ?? 'orders-service';

export const TOPICS = {
  orders: process.env.ORDERS_TOPIC ?? 'orders',
  payments: process.env.PAYMENTS_TOPIC ?? 'payments',
} as const;

export const GROUPS = {
  /** Default group of the service (used by handlers that name none). */
  service: groupPrefix,
  billing: `${groupPrefix}.billing`,
  analytics: `${groupPrefix}.analytics`,
} as const;

/** Runtime settings of the worker, from the environment. */
@Injectable()
export class AppConfig {
  readonly clientId = process.env.KAFKA_CLIENT_ID ?? 'orders-service';
  readonly brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}
