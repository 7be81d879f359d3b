/**
 * `setupModule` of the child consumer worker (../child-app/consumer-worker.ts): the default Kafka
 * offset store, whose `connect()` takes DELAYED_CONNECT_MS (default 3000), as a slow database
 * would at startup. It reports `{ type: 'store-connecting' }` when `connect()` starts and
 * `{ type: 'store-connected' }` just before it resolves, so a test can signal the app mid-startup.
 */
import { Injectable, type ModuleMetadata } from '@nestjs/common';
import { KafkaOffsetStore, type KafkaConsumerModuleOptions } from 'nestjs-kafka-consumer';

/** Reports sent by this setup, besides the worker's own (see ../child-app/protocol.ts). */
export interface StoreStartupEvent {
  readonly type: 'store-connecting' | 'store-connected';
  readonly at: number;
}

const delayMs = Number(process.env.DELAYED_CONNECT_MS ?? 3000);

function report(event: StoreStartupEvent): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(event, undefined, {}, () => resolve()) : resolve()));
}

@Injectable()
class SlowlyConnectingOffsetStore extends KafkaOffsetStore {
  override async connect(): Promise<void> {
    await report({ type: 'store-connecting', at: Date.now() });
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    await report({ type: 'store-connected', at: Date.now() });
  }
}

export const providers: ModuleMetadata['providers'] = [SlowlyConnectingOffsetStore];

export const moduleOptions: Partial<KafkaConsumerModuleOptions> = { offsetStore: SlowlyConnectingOffsetStore };
