import { Inject, Injectable, Module, Optional, type DynamicModule } from '@nestjs/common';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { OffsetStoreUnavailableError } from '../errors/offset-store-unavailable.error.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import {
  invalidOption,
  offsetFileLocked,
  offsetStoreNotConfigured,
  offsetStoreNotConnected,
  offsetStoreUnreachable,
} from '../kafka-consumer.messages.js';
import { offsetStoreModuleDefinition } from './offset-store.module-definition.js';
import {
  OffsetStore,
  type ClaimedPartition,
  type OffsetStoreScope,
  type TopicPartition,
  type TopicPartitionOffset,
} from './offset-store.js';

/** Options of `FileOffsetStore.forRoot()` / `forRootAsync()`. */
export interface FileOffsetStoreOptions {
  /** The JSON file holding the offsets (its directory is created when missing); `<path>.lock` guards it. */
  path: string;
}

interface StoredPartition {
  offset: string | null;
  epoch: number;
}

interface OffsetFile {
  version: 1;
  /** groupId -> `<topic>:<partition>` -> entry */
  groups: Record<string, Record<string, StoredPartition>>;
}

const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: FILE_OFFSET_STORE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = offsetStoreModuleDefinition<FileOffsetStoreOptions>('FileOffsetStore');

export { FILE_OFFSET_STORE_OPTIONS };

/**
 * Offsets in a local JSON file: the embedded option for a single process (a worker on one machine,
 * tests). Every save writes a temporary file, fsyncs it, renames it over the old one and fsyncs the
 * directory, so a crash leaves either the old or the new offsets, never a torn file. One process
 * per file: `connect()` takes `<path>.lock` (holding the pid) and fails while a live process holds
 * it; a lock left by a dead process is taken over. Epochs fence members within the process.
 *
 * ```ts
 * imports: [
 *   FileOffsetStore.forRoot({ path: './var/offsets.json' }),
 *   KafkaConsumerModule.forRoot({ client, offsetStore: FileOffsetStore }),
 * ]
 * ```
 */
@Injectable()
export class FileOffsetStore extends OffsetStore {
  /** Provides the store (globally by default) with static options. */
  static forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    return FileOffsetStoreModule.forRoot(options);
  }

  /** Provides the store with options from a factory: `{ useFactory, inject, imports }`. */
  static forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return FileOffsetStoreModule.forRootAsync(options);
  }

  /** Absolute path of the offsets file. */
  readonly path: string;
  private readonly lockPath: string;
  private state: OffsetFile | null = null;
  private connecting: Promise<void> | null = null;
  /** Writes run one after another, each with the latest state. */
  private writing: Promise<void> = Promise.resolve();

  constructor(@Optional() @Inject(FILE_OFFSET_STORE_OPTIONS) options?: FileOffsetStoreOptions) {
    super();
    if (!options) throw new InvalidOptionsError(offsetStoreNotConfigured('FileOffsetStore'));
    if (typeof options.path !== 'string' || options.path.trim() === '') {
      throw new InvalidOptionsError(invalidOption('FileOffsetStore path', options.path, 'a file path'));
    }
    this.path = resolve(options.path);
    this.lockPath = `${this.path}.lock`;
  }

  override connect(): Promise<void> {
    this.connecting ??= this.open().catch((error: unknown) => {
      this.connecting = null;
      throw error;
    });
    return this.connecting;
  }

  override async disconnect(): Promise<void> {
    if (!this.state) return;
    await this.writing.catch(() => undefined);
    this.state = null;
    this.connecting = null;
    await unlink(this.lockPath).catch(() => undefined);
  }

  async load(scope: OffsetStoreScope, partitions: readonly TopicPartition[]): Promise<ClaimedPartition[]> {
    const group = (this.requireState().groups[scope.groupId] ??= {});
    const claimed = partitions.map(({ topic, partition }) => {
      const entry = (group[`${topic}:${partition}`] ??= { offset: null, epoch: 0 });
      entry.epoch++;
      return { topic, partition, epoch: entry.epoch, offset: entry.offset ?? undefined };
    });
    await this.persist();
    return claimed;
  }

  async save(scope: OffsetStoreScope, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const group = this.requireState().groups[scope.groupId] ?? {};
    const stale = offsets.filter((o) => group[`${o.topic}:${o.partition}`]?.epoch !== o.epoch);
    if (stale.length > 0) {
      throw new StaleOffsetWriteError(
        scope.groupId,
        stale.map(({ topic, partition }) => ({ topic, partition })),
      );
    }
    for (const { topic, partition, offset } of offsets) {
      const entry = group[`${topic}:${partition}`];
      if (entry.offset === null || BigInt(entry.offset) < BigInt(offset)) entry.offset = offset;
    }
    await this.persist();
  }

  private async open(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await this.lock();
      this.state = await this.read();
    } catch (error) {
      if (error instanceof OffsetStoreUnavailableError) throw error;
      throw new OffsetStoreUnavailableError(offsetStoreUnreachable('FileOffsetStore', this.path, error), {
        cause: error,
      });
    }
  }

  /** Creates `<path>.lock` exclusively; a lock whose process is gone is taken over. */
  private async lock(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(this.lockPath, 'wx');
        try {
          await handle.writeFile(String(process.pid));
          await handle.sync();
        } finally {
          await handle.close();
        }
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      }
      const holder = Number((await readFile(this.lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new OffsetStoreUnavailableError(offsetFileLocked(this.path, holder));
      }
      await unlink(this.lockPath).catch(() => undefined);
    }
  }

  private async read(): Promise<OffsetFile> {
    try {
      const parsed = JSON.parse(await readFile(this.path, 'utf8')) as OffsetFile;
      if (parsed?.version === 1 && typeof parsed.groups === 'object') return parsed;
      throw new Error(`unexpected content (version ${String(parsed?.version)})`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, groups: {} };
      throw error;
    }
  }

  /** Queues an atomic write of the current state; resolves once it is durable. */
  private persist(): Promise<void> {
    const write = this.writing.catch(() => undefined).then(() => this.writeAtomically());
    this.writing = write;
    return write;
  }

  private async writeAtomically(): Promise<void> {
    const content = JSON.stringify(this.requireState());
    const temporary = `${this.path}.${process.pid}.tmp`;
    const file = await open(temporary, 'w');
    try {
      await file.writeFile(content);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, this.path);
    // The rename itself is durable only once the directory entry is.
    const directory = await open(dirname(this.path), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }

  private requireState(): OffsetFile {
    if (!this.state) throw new OffsetStoreUnavailableError(offsetStoreNotConnected('FileOffsetStore'));
    return this.state;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

@Module({ providers: [FileOffsetStore], exports: [FileOffsetStore] })
class FileOffsetStoreModule extends ConfigurableModuleClass {}
