import pg from 'pg';
import type { ConsumerApp } from './app.js';
import { KafkaTestKit, unique } from './kafka.js';
import { POSTGRES_URL, storeFixture, type StoreFixture } from './offset-stores.js';

/**
 * One `PostgresOffsetStore.transaction()` test: a Postgres offset store, an effects table
 * (`id int`) that handlers insert into within the transaction, and the Kafka kit and apps to
 * close. `setUp()` at the start of the test; `close()` in afterEach.
 */
export class PostgresTransactionFixture {
  readonly kit = new KafkaTestKit();
  readonly apps: ConsumerApp[] = [];
  readonly database = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
  /** The effects table's name. */
  readonly effects: string;
  private storeFixture?: StoreFixture;

  constructor(tablePrefix: string) {
    this.effects = unique(tablePrefix).replace(/-/g, '_');
  }

  get store(): StoreFixture {
    if (!this.storeFixture) throw new Error('PostgresTransactionFixture.setUp() was not called');
    return this.storeFixture;
  }

  /** Makes the offset store and the empty effects table. */
  async setUp(): Promise<void> {
    this.storeFixture = storeFixture('postgres');
    await this.database.query(`CREATE TABLE ${this.effects} (id int NOT NULL)`);
  }

  /** How many effect rows are committed. */
  async count(): Promise<number> {
    return Number((await this.database.query(`SELECT count(*) AS n FROM ${this.effects}`)).rows[0].n);
  }

  /** The committed effect ids, ascending (a duplicate shows up twice). */
  async ids(): Promise<number[]> {
    return (await this.database.query(`SELECT id FROM ${this.effects} ORDER BY id`)).rows.map((r) => r.id as number);
  }

  /** Stops the apps, then drops the store's table and the effects table. */
  async close(): Promise<void> {
    await Promise.all(this.apps.splice(0).map((a) => a.close()));
    await this.kit.close();
    await this.store.cleanup();
    await this.database.query(`DROP TABLE IF EXISTS ${this.effects}`);
    await this.database.end();
  }
}
