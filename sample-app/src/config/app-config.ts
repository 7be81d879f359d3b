import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

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
  shipping: `${groupPrefix}.shipping`,
  accounting: `${groupPrefix}.accounting`,
  nightlyExport: `${groupPrefix}.nightly-export`,
} as const;

/** Delays of the shipping handler's retry topics (`<orders>-retry-<ms>`): short, so the demo stays fast. */
export const SHIPPING_RETRY_DELAYS_MS = [200, 1000];

/** Runtime settings of the worker, read through `@nestjs/config`'s `ConfigService`. */
@Injectable()
export class AppConfig {
  constructor(private readonly config: ConfigService) {}

  get clientId(): string {
    return this.config.get<string>('KAFKA_CLIENT_ID', 'orders-service');
  }

  get brokers(): string[] {
    return this.config
      .get<string>('KAFKA_BROKERS', '127.0.0.1:9092')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
  }

  /** PostgreSQL of the accounting journal and its offsets (`DATABASE_URL`). */
  get databaseUrl(): string {
    return this.config.get<string>('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/test');
  }

  /** Table of the accounting journal (`JOURNAL_TABLE`, an identifier). */
  get journalTable(): string {
    return this.config.get<string>('JOURNAL_TABLE', 'accounting_journal');
  }
}
