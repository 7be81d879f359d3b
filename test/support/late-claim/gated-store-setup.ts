/**
 * `setupModule` of the child consumer worker (../child-app/consumer-worker.ts) for the late-claim
 * suite: a `PostgresOffsetStore` whose `load()` (the claim) waits while a gate file exists, as a
 * claim stuck in the pg pool queue or behind a row lock does, then lands late.
 *
 *   GATED_STORE_TABLE   the store's table
 *   LOAD_GATE_FILE      while this file exists, `load()` waits before it reaches PostgreSQL
 *   CRASH_MARKER_FILE   once this file exists, kafkajs heartbeats fail with a non-retriable error
 *                       (the consumer crashes); with it set, kafkajs does not restart after a crash
 *   FAIL_IDS            comma-separated payload ids whose handling fails while FAIL_WHILE_FILE exists
 *   FAIL_WHILE_FILE
 *   FAIL_MODE           throw (default) | hang: the handler never settles and ignores ctx.signal
 *   POSTGRES_URL
 */
import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type ModuleMetadata,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import kafkajs from 'kafkajs';
import {
  OffsetStore,
  PostgresOffsetStore,
  type TopicPartitionOffset,
  type ClaimedPartition,
  type KafkaConsumerModuleOptions,
  type OffsetStoreScope,
  type TopicPartition,
} from 'nestjs-kafka-consumer';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Observable } from 'rxjs';

const env = process.env;
const gate = env.LOAD_GATE_FILE;
const crashMarker = env.CRASH_MARKER_FILE;

/** A `PostgresOffsetStore` (delegated to, so DI sees no constructor parameters) with a gated `load`. */
@Injectable()
class GatedPostgresOffsetStore extends OffsetStore {
  private readonly store = new PostgresOffsetStore({
    connection: { connectionString: env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    table: env.GATED_STORE_TABLE,
  });

  override async load(scope: OffsetStoreScope, partitions: readonly TopicPartition[]): Promise<ClaimedPartition[]> {
    while (gate && existsSync(gate)) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.store.load(scope, partitions);
  }

  override save(scope: OffsetStoreScope, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    return this.store.save(scope, offsets);
  }

  override connect(): Promise<void> {
    return this.store.connect();
  }

  override disconnect(): Promise<void> {
    return this.store.disconnect();
  }
}

if (crashMarker) {
  // kafkajs' own Broker class (the same CommonJS module instance kafkajs uses): its heartbeat fails
  // once the marker exists, which crashes the consumer's fetch loop.
  const require = createRequire(import.meta.url);
  const { prototype } = require('kafkajs/src/broker/index.js') as {
    prototype: { heartbeat: (...args: unknown[]) => Promise<unknown> };
  };
  const heartbeat = prototype.heartbeat;
  prototype.heartbeat = function (this: unknown, ...args: unknown[]) {
    if (existsSync(crashMarker))
      return Promise.reject(new kafkajs.KafkaJSNonRetriableError('injected heartbeat failure'));
    return heartbeat.apply(this, args);
  };
}

const failIds = new Set((env.FAIL_IDS ?? '').split(',').filter(Boolean));
const failWhile = env.FAIL_WHILE_FILE;

/** A poison record: fails while the test says so. */
@Injectable()
class FailWhileMarked implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const payload = context.switchToRpc().getData<{ id?: string } | null>();
    if (failWhile && failIds.has(String(payload?.id)) && existsSync(failWhile)) {
      // Reported on stdout: the handler itself (and its `started` report) is never reached.
      console.log(`poisoned ${String(payload?.id)}`);
      if (env.FAIL_MODE === 'hang') return new Observable<never>(() => undefined);
      throw new Error(`record ${String(payload?.id)} fails while ${failWhile} exists`);
    }
    return next.handle();
  }
}

export const providers: ModuleMetadata['providers'] = failWhile
  ? [{ provide: APP_INTERCEPTOR, useClass: FailWhileMarked }]
  : [];

export const moduleOptions: Partial<KafkaConsumerModuleOptions> = {
  offsetStore: GatedPostgresOffsetStore,
  // The crashed consumer stays down for the test (its restart is due in 10 minutes).
  ...(crashMarker
    ? {
        consumer: { retry: { restartOnFailure: async () => false } },
        onCrash: { action: 'restart', backoff: { type: 'fixed', delayMs: 600_000, maxDelayMs: 600_000 } },
      }
    : {}),
};
