import { Injectable, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { KafkaOffsetStore } from './kafka.offset-store.js';
import { OffsetStore } from './offset-store.js';

/**
 * Turns an `offsetStore` option (module default or a handler's) into the store instance, and
 * owns connect-once / disconnect-all for the stores the consumer uses.
 */
@Injectable()
export class OffsetStoreResolver {
  private readonly stores = new Map<Type<OffsetStore>, Promise<OffsetStore>>();
  private readonly connected = new Set<OffsetStore>();

  constructor(private readonly moduleRef: ModuleRef) {}

  /**
   * The store of a class: the provider its `forRoot` registered (or the user's own provider) when
   * there is one, else an instance Nest creates with its dependencies; one instance per class.
   * Default `KafkaOffsetStore`.
   */
  resolve(type: Type<OffsetStore> = KafkaOffsetStore): Promise<OffsetStore> {
    let store = this.stores.get(type);
    if (!store) {
      store = this.instantiate(type);
      this.stores.set(type, store);
      // A class that failed (e.g. not configured) fails again the next time, not with a cached error.
      store.catch(() => this.stores.delete(type));
    }
    return store;
  }

  /** Connects `store` once, however many groups use it; a rejection fails bootstrap. */
  async connect(store: OffsetStore): Promise<void> {
    if (this.connected.has(store)) return;
    // Recorded first: a store that failed halfway is still disconnected.
    this.connected.add(store);
    await store.connect();
  }

  /** Disconnects every store `connect` was called for, once, one after another; failures go to `onError`. */
  async disconnectAll(onError: (store: OffsetStore, error: unknown) => void): Promise<void> {
    const stores = [...this.connected];
    this.connected.clear();
    for (const store of stores) {
      await store.disconnect().catch((error: unknown) => onError(store, error));
    }
  }

  private async instantiate(type: Type<OffsetStore>): Promise<OffsetStore> {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      return this.moduleRef.create(type);
    }
  }
}
