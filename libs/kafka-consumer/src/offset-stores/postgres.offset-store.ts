import { Injectable, Logger } from '@nestjs/common';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { describeError, invalidOption, storeTarget } from '../kafka-consumer.messages.js';
import { ConfigurableOffsetStore } from './configurable-offset-store.js';
import { importOptional } from './optional-dependency.js';
import type { ClaimedPartition, OffsetStoreScope, TopicPartition, TopicPartitionOffset } from './offset-store.js';

/** Options of `PostgresOffsetStore.forRoot()` / `forRootAsync()`. */
export interface PostgresOffsetStoreOptions {
  /** A `pg` Pool you own: used as is and never ended by the store. */
  pool?: Pool;
  /**
   * `pg` PoolConfig (e.g. `{ connectionString }`) of the pool the store creates and ends itself
   * when `pool` is not given. Defaults:
   * - `connectionTimeoutMillis` 5000 and `query_timeout` 10000 (per statement, `transaction()`
   *   SQL included): a black-holed database fails a call with `OffsetStoreUnavailableError`
   *   instead of hanging until the TCP timeout (~15 min);
   * - `keepAlive` true (`keepAliveInitialDelayMillis` 10000): dead idle connections are noticed;
   * - `idle_in_transaction_session_timeout` 30000: a member frozen inside a `transaction()` holds
   *   its partition's row lock, and the new owner waits at most that long for the server to end it.
   * Set the same on a `pool` you pass in.
   */
  connection?: PoolConfig;
  /** Table holding the offsets, optionally schema-qualified; created when missing. Default `kafka_consumer_offsets`. */
  table?: string;
}

/** The record a `transaction()` belongs to: a `KafkaConsumerContext` fits. */
export interface TransactionRecord {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** The batch a `transaction()` belongs to: a `KafkaBatchContext` fits (its last offset + 1 is written). */
export interface TransactionBatch {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
  readonly lastOffset: string;
}

const DEFAULT_TABLE = 'kafka_consumer_offsets';
/** Driver defaults of a pool the store creates (see `PostgresOffsetStoreOptions.connection`). */
const POOL_DEFAULTS: PoolConfig = {
  connectionTimeoutMillis: 5000,
  query_timeout: 10_000,
  keepAlive: true,
  keepAliveInitialDelayMillis: 10_000,
  idle_in_transaction_session_timeout: 30_000,
};
/** pg's client-side timeouts: the connection is in an unknown state afterwards. */
const TIMED_OUT = /Query read timeout|timeout exceeded when trying to connect|connection timeout/i;
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;
/** CREATE TABLE IF NOT EXISTS racing another process: the table exists, which is all we need. */
const ALREADY_EXISTS = new Set(['42P07', '23505']);

/**
 * Offsets in a PostgreSQL table, one row per (group, topic, partition) with the next offset and
 * a fencing epoch. `load` claims a partition by incrementing its epoch; `save` is a compare-and-set
 * on that epoch (a member that lost the partition gets `StaleOffsetWriteError`) and never moves
 * an offset backwards. `transaction()` gives exactly-once effects.
 *
 * ```ts
 * imports: [
 *   PostgresOffsetStore.forRoot({ connection: { connectionString: 'postgres://app@db/app' } }),
 *   KafkaConsumerModule.forRoot({ client, offsetStore: PostgresOffsetStore }),
 * ]
 * ```
 * Needs the optional peer dependency `pg`.
 */
@Injectable()
export class PostgresOffsetStore extends ConfigurableOffsetStore<PostgresOffsetStoreOptions>('PostgresOffsetStore') {
  private readonly logger = new Logger('PostgresOffsetStore');
  private readonly table: string;
  private pool: Pool | null = null;
  /** Epoch of this member's latest claim of each partition, for `transaction()`. */
  private readonly claims = new Map<string, number>();

  constructor(options?: PostgresOffsetStoreOptions) {
    super(options);
    const table = this.options.table ?? DEFAULT_TABLE;
    if (typeof table !== 'string' || !TABLE_NAME.test(table)) {
      throw new InvalidOptionsError(
        invalidOption('PostgresOffsetStore table', table, 'an identifier or schema.identifier'),
      );
    }
    this.table = table
      .split('.')
      .map((part) => `"${part}"`)
      .join('.');
  }

  async load(scope: OffsetStoreScope, partitions: readonly TopicPartition[]): Promise<ClaimedPartition[]> {
    if (partitions.length === 0) return [];
    const { rows } = await this.call('load', () => this.claim(scope, partitions));
    return rows.map((row) => {
      const epoch = Number(row.epoch);
      this.claims.set(claimKey(scope.groupId, row.topic, row.partition), epoch);
      return { topic: row.topic, partition: row.partition, offset: row.next_offset ?? undefined, epoch };
    });
  }

  private claim(scope: OffsetStoreScope, partitions: readonly TopicPartition[]) {
    return this.requirePool().query<{
      topic: string;
      partition: number;
      next_offset: string | null;
      epoch: string;
    }>(
      `INSERT INTO ${this.table} AS o (group_id, topic, partition, epoch)
       SELECT $1, p.topic, p.partition, 1 FROM unnest($2::text[], $3::int[]) AS p(topic, partition)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET epoch = o.epoch + 1, updated_at = now()
       RETURNING o.topic, o.partition, o.next_offset, o.epoch`,
      [scope.groupId, partitions.map((p) => p.topic), partitions.map((p) => p.partition)],
    );
  }

  async save(scope: OffsetStoreScope, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.call('save', () => this.storeOffsets(scope, offsets));
  }

  private async storeOffsets(scope: OffsetStoreScope, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    await this.inTransaction(async (client) => {
      const { rows } = await client.query<{ topic: string; partition: number }>(
        `UPDATE ${this.table} AS o SET next_offset = GREATEST(o.next_offset, v.next_offset), updated_at = now()
         FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[]) AS v(topic, partition, next_offset, epoch)
         WHERE o.group_id = $1 AND o.topic = v.topic AND o.partition = v.partition AND o.epoch = v.epoch
         RETURNING o.topic, o.partition`,
        [
          scope.groupId,
          offsets.map((o) => o.topic),
          offsets.map((o) => o.partition),
          offsets.map((o) => o.offset),
          offsets.map((o) => o.epoch ?? null),
        ],
      );
      if (rows.length === offsets.length) return;
      const saved = new Set(rows.map((row) => `${row.topic}:${row.partition}`));
      // All or nothing: the rollback keeps this call atomic; the server saves the others again.
      throw new StaleOffsetWriteError(
        scope.groupId,
        offsets
          .filter((o) => !saved.has(`${o.topic}:${o.partition}`))
          .map(({ topic, partition }) => ({ topic, partition })),
      );
    });
  }

  /**
   * Runs `fn` and the write of `record.offset + 1` (a batch's `lastOffset + 1`) in one PostgreSQL transaction, so the handler's
   * own SQL (through the `client` it receives) takes effect exactly once: either both commit or
   * neither does. Inside, the partition's row is locked and checked:
   * - claimed by another member since this one loaded it: rejects with `StaleOffsetWriteError`,
   *   nothing is written;
   * - the stored offset is already past the record (its effect was committed before): resolves
   *   `undefined` without calling `fn`.
   * The batched save that follows never moves the offset back (it keeps the greater one).
   *
   * ```ts
   * await this.store.transaction(ctx, (client) => client.query('INSERT INTO payments ...', [...]));
   * ```
   * With a batch handler, pass its `KafkaBatchContext`: the whole batch's effects and its offset
   * commit together (a crash before the commit redoes the batch; after it, the batch is not redone).
   */
  async transaction<T>(
    record: TransactionRecord | TransactionBatch,
    fn: (client: PoolClient) => Promise<T>,
  ): Promise<T | undefined> {
    const { groupId, topic, partition } = record;
    const epoch = this.claims.get(claimKey(groupId, topic, partition));
    const last = 'lastOffset' in record ? record.lastOffset : record.offset;
    const next = (BigInt(last) + 1n).toString();
    let skipped = false;
    const result = await this.inTransaction(async (client) => {
      // One statement locks the row, checks the claim and writes the offset; the rest of the
      // transaction (the handler's SQL) commits with it or not at all.
      const claimed = await client.query(
        `UPDATE ${this.table} SET next_offset = $5, updated_at = now()
         WHERE group_id = $1 AND topic = $2 AND partition = $3 AND epoch = $4
           AND (next_offset IS NULL OR next_offset < $5)`,
        [groupId, topic, partition, epoch ?? null, next],
      );
      if (claimed.rowCount === 0) {
        const { rows } = await client.query<{ next_offset: string | null; epoch: string }>(
          `SELECT next_offset, epoch FROM ${this.table} WHERE group_id = $1 AND topic = $2 AND partition = $3`,
          [groupId, topic, partition],
        );
        const row = rows[0];
        if (!row || epoch === undefined || Number(row.epoch) !== epoch) {
          throw new StaleOffsetWriteError(groupId, [{ topic, partition }]);
        }
        skipped = true; // the stored offset is already past this record: its effect is committed
        return undefined;
      }
      return fn(client);
    });
    return skipped ? undefined : result;
  }

  protected async open(): Promise<void> {
    const pg = await importOptional(() => import('pg'), 'pg', 'PostgresOffsetStore');
    const own = !this.options.pool;
    const pool = this.options.pool ?? new pg.Pool({ ...POOL_DEFAULTS, ...this.options.connection });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    if (own) pool.on('error', (error) => this.logger.warn(`idle connection error: ${describeError(error)}`));
    try {
      await pool.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
           group_id text NOT NULL,
           topic text NOT NULL,
           partition integer NOT NULL,
           next_offset bigint,
           epoch bigint NOT NULL,
           updated_at timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (group_id, topic, partition)
         )`,
      );
    } catch (error) {
      if (!ALREADY_EXISTS.has((error as { code?: string }).code ?? '')) {
        if (own) await pool.end().catch(() => undefined);
        throw this.unreachable(error);
      }
    }
    this.pool = pool;
  }

  protected async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool && !this.options.pool) await pool.end();
  }

  protected describeTarget(): string {
    const connection = this.options.connection;
    if (this.options.pool) return 'PostgreSQL (pool given in options)';
    if (!connection) return 'PostgreSQL (PG* environment defaults)';
    if (connection.connectionString) return storeTarget('PostgreSQL', { url: connection.connectionString }, '');
    return storeTarget('PostgreSQL', { host: connection.host ?? 'localhost', port: connection.port ?? 5432 }, '');
  }

  private requirePool(): Pool {
    return this.requireConnected(this.pool);
  }

  private async inTransaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.requirePool().connect();
    let broken = false;
    // A checked-out client emits 'error' when its connection drops between queries; the pending
    // or next query rejects anyway, so the event only needs a listener (else it crashes the process).
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // After a client-side timeout the connection may be black-holed: a ROLLBACK would wait as long again.
      if (TIMED_OUT.test((error as Error | undefined)?.message ?? '')) broken = true;
      else {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
      }
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

function claimKey(groupId: string, topic: string, partition: number): string {
  return `${groupId}\u0000${topic}\u0000${partition}`;
}
