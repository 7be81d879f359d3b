import { redactUrl, redactSecrets } from '../kafka-consumer.redaction.js';
import { describeError, partitionList } from './message-parts.js';

// Offset-store messages: claims, fencing, connection and dependency failures.

export const staleOffsetWrite = (
  groupId: string,
  partitions: ReadonlyArray<{ topic: string; partition: number }>,
): string =>
  `Group "${groupId}": offsets of ${partitionList(partitions)} were not stored: another member claimed ` +
  `these partitions since this one loaded them (stale epoch). This member drops them; the new owner continues.`;

export const partitionsLost = (groupId: string, partitions: ReadonlyArray<{ topic: string; partition: number }>) =>
  `Group "${groupId}": ${partitionList(partitions)} now belong to another member (stale offset write); ` +
  `dropped here until the group assigns them again.`;

export const dualPackageLoaded = (): string =>
  'nestjs-kafka-consumer was loaded both as an ES module (import) and as CommonJS (require): its classes and tokens now exist twice, and one copy\'s KafkaConsumerServer or KafkaConsumerModule is not the other\'s. Load it one way in the whole app (see "ESM and CommonJS" in the README).';

export const missingDependency = (packageName: string, usedBy: string): string =>
  `${usedBy} needs the package "${packageName}", which is not installed: run \`npm install ${packageName}\`.`;

export const offsetStoreUnreachable = (store: string, target: string, error: unknown): string =>
  `${store}: cannot reach ${target} at startup: ${describeError(error).replace(/\.$/, '')}. ` +
  ((error as { code?: unknown } | null)?.code === 'ERR_INVALID_URL'
    ? 'The connection URL cannot be parsed: percent-encode "/", "@", "?" and "#" in its user and password.'
    : 'Check that it is running and the connection options are right; the consumer does not start without its offset store.');

/**
 * Where a store connects, for messages: `PostgreSQL at postgres://db:5432/app` (a URL keeps only
 * protocol, host, port and database), `Redis at 127.0.0.1:6379`, or `unknown` when neither is known.
 */
export const storeTarget = (
  system: string,
  where: { url?: string; host?: string; port?: number | string } | undefined,
  unknown: string,
): string => {
  if (where?.url !== undefined) return `${system} at ${redactUrl(where.url)}`;
  if (where?.host !== undefined || where?.port !== undefined) {
    return `${system} at ${redactSecrets(String(where.host ?? 'localhost'))}:${String(where.port ?? '(default port)')}`;
  }
  return `${system} ${unknown}`;
};

export const offsetStoreCallFailed = (store: string, operation: string, target: string, error: unknown): string =>
  `${store}: ${operation} against ${target} failed: ${describeError(error)}`;

export const offsetStoreNotConfigured = (store: string): string =>
  `${store} has no options: import ${store}.forRoot({ ... }) (or forRootAsync) next to KafkaConsumerModule.`;

export const offsetStoreNotConnected = (store: string): string =>
  `${store} is not connected yet: it connects when the Kafka consumer starts listening.`;

export const offsetFileLocked = (path: string, pid: number, host?: string): string =>
  `FileOffsetStore: ${path} is used by another process (pid ${pid}${host === undefined ? '' : ` on host "${host}"`}, ` +
  `lock ${path}.lock); a file store serves one process. Stop that process or use a shared store (PostgreSQL, Redis)` +
  (host === undefined ? '.' : '; a lock of another host is taken over once it is not refreshed for 60 s.');

export const startOffsetNotStored = (groupId: string, partition: string, offset: string, error: unknown): string =>
  `Group "${groupId}": ${partition} had nothing stored and starts at offset ${offset}, but storing that start ` +
  `failed (${describeError(error)}); it is stored with the partition's first commit. Until then, a member that ` +
  `takes the partition over resolves its start again.`;
