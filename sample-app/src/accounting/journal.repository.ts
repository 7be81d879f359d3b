import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { AppConfig } from '../config/app-config.js';
import type { PaymentDto } from '../payments/payment.dto.js';

/**
 * The accounting journal, a PostgreSQL table: one row per payment. `insert` runs on the client of
 * the offset store's `transaction()`, so a row and its record's offset commit together. The table
 * is created on first use, so an app context that never journals (the export job, unit tests)
 * never connects to PostgreSQL.
 */
@Injectable()
export class JournalRepository implements OnApplicationShutdown {
  private readonly logger = new Logger(JournalRepository.name);
  private readonly table: string;
  private readonly pool: pg.Pool;
  private ready: Promise<unknown> | null = null;

  constructor(config: AppConfig) {
    this.table = config.journalTable;
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(this.table)) throw new Error('JOURNAL_TABLE must be an identifier');
    this.pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1, connectionTimeoutMillis: 5000 });
  }

  private ensureTable(): Promise<unknown> {
    this.ready ??= this.pool.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         source_topic text NOT NULL,
         payment_id text NOT NULL,
         amount_cents bigint NOT NULL,
         booked_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (source_topic, payment_id)
       )`,
    );
    this.ready.catch(() => (this.ready = null)); // try again with the next record
    return this.ready;
  }

  /** A plain INSERT: a second delivery of the same payment would violate the primary key. */
  async insert(client: pg.PoolClient, topic: string, payment: PaymentDto): Promise<void> {
    await this.ensureTable();
    await client.query(`INSERT INTO ${this.table} (source_topic, payment_id, amount_cents) VALUES ($1, $2, $3)`, [
      topic,
      payment.paymentId,
      payment.amountCents,
    ]);
  }

  async onApplicationShutdown(): Promise<void> {
    // The summary is read from the table: what the journal holds, not what this process counted.
    try {
      if (!this.ready) return;
      const { rows } = await this.pool.query(
        `SELECT count(*)::int AS n, coalesce(sum(amount_cents), 0)::bigint AS cents FROM ${this.table}`,
      );
      this.logger.log({ msg: 'journal summary', entries: rows[0].n, balanceCents: Number(rows[0].cents) });
    } finally {
      await this.pool.end();
    }
  }
}
