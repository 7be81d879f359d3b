import { Injectable } from '@nestjs/common';
import { mkdir, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { OffsetStoreUnavailableError } from '../errors/offset-store-unavailable.error.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { invalidOption, offsetFileLocked } from '../kafka-consumer.messages.js';
import { ConfigurableOffsetStore } from './configurable-offset-store.js';
import { currentOwner, decideLock, formatLock, LOCK_REFRESH_MS, parseLock } from './file-lock.js';
import type { ClaimedPartition, OffsetStoreScope, TopicPartition, TopicPartitionOffset } from './offset-store.js';

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

/**
 * Offsets in a local JSON file: the embedded option for a single process (a worker on one machine,
 * tests). Every save writes a temporary file, fsyncs it, renames it over the old one and fsyncs the
 * directory, so a crash leaves either the old or the new offsets, never a torn file. One process
 * per file: `connect()` takes `<path>.lock` (holding pid, host and boot id) and fails while a live
 * process holds it; a lock left by a dead process is taken over, also when that process had the
 * same pid (two containers both PID 1). A lock from another host is taken over once it has not been
 * refreshed for 60 s. Epochs fence members within the process.
 *
 * ```ts
 * imports: [
 *   FileOffsetStore.forRoot({ path: './var/offsets.json' }),
 *   KafkaConsumerModule.forRoot({ client, offsetStore: FileOffsetStore }),
 * ]
 * ```
 */
@Injectable()
export class FileOffsetStore extends ConfigurableOffsetStore<FileOffsetStoreOptions>('FileOffsetStore') {
  /** Absolute path of the offsets file. */
  readonly path: string;
  private readonly lockPath: string;
  private state: OffsetFile | null = null;
  private refreshLock: NodeJS.Timeout | undefined;
  /** Writes run one after another, each with the latest state. */
  private writing: Promise<void> = Promise.resolve();

  constructor(options?: FileOffsetStoreOptions) {
    super(options);
    const path = this.options.path as unknown;
    if (typeof path !== 'string' || path.trim() === '') {
      throw new InvalidOptionsError(invalidOption('FileOffsetStore path', path, 'a file path'));
    }
    this.path = resolve(path);
    this.lockPath = `${this.path}.lock`;
  }

  protected async close(): Promise<void> {
    clearInterval(this.refreshLock);
    if (!this.state) return;
    await this.writing.catch(() => undefined);
    this.state = null;
    await unlink(this.lockPath).catch(() => undefined);
  }

  protected describeTarget(): string {
    return this.path;
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

  protected async open(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await this.lock();
      this.state = await this.read();
    } catch (error) {
      if (error instanceof OffsetStoreUnavailableError) throw error;
      throw this.unreachable(error);
    }
  }

  /**
   * Creates `<path>.lock` exclusively, holding this process's pid, host and boot; a lock whose
   * process is gone is taken over (see `decideLock`). Refreshed while held, so a process on
   * another host can tell a live holder from a crashed one.
   */
  private async lock(): Promise<void> {
    const self = currentOwner();
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(this.lockPath, 'wx');
        try {
          await handle.writeFile(formatLock(self));
          await handle.sync();
        } finally {
          await handle.close();
        }
        this.refreshLock = setInterval(() => {
          const now = new Date();
          utimes(this.lockPath, now, now).catch(() => undefined);
        }, LOCK_REFRESH_MS).unref();
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      }
      const content = await readFile(this.lockPath, 'utf8').catch(() => '');
      const modified = await stat(this.lockPath).then(
        (s) => s.mtimeMs,
        () => Date.now(),
      );
      const decision = decideLock(parseLock(content), self, Date.now() - modified, isAlive);
      if (!decision.takeOver) {
        throw new OffsetStoreUnavailableError(offsetFileLocked(this.path, decision.pid, decision.host));
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
    return this.requireConnected(this.state);
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
