import {
  Inject,
  Module,
  Optional,
  type ConfigurableModuleAsyncOptions,
  type DynamicModule,
  type Type,
} from '@nestjs/common';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { OffsetStoreUnavailableError } from '../errors/offset-store-unavailable.error.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import {
  offsetStoreCallFailed,
  offsetStoreNotConfigured,
  offsetStoreNotConnected,
  offsetStoreUnreachable,
} from '../kafka-consumer.messages.js';
import { redactCause } from '../kafka-consumer.redaction.js';
import { offsetStoreModuleDefinition } from './offset-store.module-definition.js';
import { OffsetStore } from './offset-store.js';

/**
 * What every store configured through `forRoot` shares: its options (a missing `forRoot` fails
 * at construction), a `connect()` that opens once however often it is called (a failed open is
 * tried again by the next call), and errors that name the store and never its credentials.
 * A store implements `open()`, `close()`, `describeTarget()` and its queries.
 */
export abstract class ConfiguredOffsetStore<Options> extends OffsetStore {
  protected readonly options: Options;
  private opening: Promise<void> | null = null;

  protected constructor(
    /** The store's class name, for messages. */
    protected readonly storeName: string,
    options: Options | undefined,
  ) {
    super();
    if (!options) throw new InvalidOptionsError(offsetStoreNotConfigured(storeName));
    this.options = options;
  }

  override connect(): Promise<void> {
    this.opening ??= this.open().catch((error: unknown) => {
      this.opening = null;
      throw error;
    });
    return this.opening;
  }

  override async disconnect(): Promise<void> {
    const opening = this.opening;
    this.opening = null;
    if (!opening) return;
    await opening.catch(() => undefined);
    await this.close();
  }

  /** Opens connections (or files) and checks the store is usable; rejects with `unreachable(...)`. */
  protected abstract open(): Promise<void>;

  /** Releases what `open` opened (never a client the user passed in). */
  protected abstract close(): Promise<void>;

  /** Where the store lives, for messages: `PostgreSQL at postgres://db:5432/app`, never credentials. */
  protected abstract describeTarget(): string;

  /** `value`, or the "not connected yet" error when the store was not opened. */
  protected requireConnected<T>(value: T | null | undefined): T {
    if (value === null || value === undefined) {
      throw new OffsetStoreUnavailableError(offsetStoreNotConnected(this.storeName));
    }
    return value;
  }

  /** The error for a store that cannot be opened at startup; `cause` is redacted. */
  protected unreachable(error: unknown): OffsetStoreUnavailableError {
    return new OffsetStoreUnavailableError(offsetStoreUnreachable(this.storeName, this.describeTarget(), error), {
      cause: redactCause(error),
    });
  }

  /**
   * Runs one store call; a failure other than a fenced write becomes `OffsetStoreUnavailableError`
   * naming the store, the operation and the target (timeouts of a black-holed store included).
   */
  protected async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof StaleOffsetWriteError || error instanceof OffsetStoreUnavailableError) throw error;
      throw new OffsetStoreUnavailableError(
        offsetStoreCallFailed(this.storeName, operation, this.describeTarget(), error),
        { cause: redactCause(error) },
      );
    }
  }
}

/** `module` that also provides and exports the store class. */
const provide = (module: DynamicModule, store: Type<unknown>): DynamicModule => ({
  ...module,
  providers: [...(module.providers ?? []), store],
  exports: [...(module.exports ?? []), store],
});

/** `{ isGlobal }`: the store's module is global unless `isGlobal: false`. */
type StoreModuleExtras = Partial<{ isGlobal: boolean }>;

/** What `ConfigurableOffsetStore(name)` returns: an abstract store class with `forRoot` / `forRootAsync`. */
export type ConfigurableOffsetStoreClass<Options> = (abstract new (
  options?: Options,
) => ConfiguredOffsetStore<Options>) & {
  /** DI token of the store's options. */
  readonly OPTIONS_TOKEN: string | symbol;
  /** Provides the store (globally by default) with static options. */
  forRoot(options: Options & StoreModuleExtras): DynamicModule;
  /** Provides the store with options from a factory: `{ useFactory, inject, imports }`. */
  forRootAsync(options: ConfigurableModuleAsyncOptions<Options, 'create'> & StoreModuleExtras): DynamicModule;
};

/**
 * The base class of a store configured like `KafkaConsumerModule`: `forRoot(options)` and
 * `forRootAsync({ useFactory, inject, imports })` (global by default) provide the store with its
 * options, injected through the returned constructor.
 *
 * ```ts
 * @Injectable()
 * export class MongoOffsetStore extends ConfigurableOffsetStore<MongoOffsetStoreOptions>('MongoOffsetStore') {
 *   protected async open() { ... }  protected async close() { ... }  protected describeTarget() { ... }
 *   async load(scope, partitions) { ... }  async save(scope, offsets) { ... }
 * }
 * ```
 */
export function ConfigurableOffsetStore<Options>(storeName: string): ConfigurableOffsetStoreClass<Options> {
  const {
    ConfigurableModuleClass,
    MODULE_OPTIONS_TOKEN: OPTIONS_TOKEN,
    OPTIONS_TYPE,
    ASYNC_OPTIONS_TYPE,
  } = offsetStoreModuleDefinition<Options>(storeName);

  @Module({})
  class OffsetStoreModule extends ConfigurableModuleClass {}
  Object.defineProperty(OffsetStoreModule, 'name', { value: `${storeName}Module` });

  abstract class OffsetStoreWithOptions extends ConfiguredOffsetStore<Options> {
    /** DI token of the store's options. */
    static readonly OPTIONS_TOKEN = OPTIONS_TOKEN;

    /** Provides the store (globally by default) with static options. */
    static forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
      return provide(OffsetStoreModule.forRoot(options), this as unknown as Type<unknown>);
    }

    /** Provides the store with options from a factory: `{ useFactory, inject, imports }`. */
    static forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
      return provide(OffsetStoreModule.forRootAsync(options), this as unknown as Type<unknown>);
    }

    constructor(@Optional() @Inject(OPTIONS_TOKEN) options?: Options) {
      super(storeName, options);
    }
  }
  return OffsetStoreWithOptions;
}
