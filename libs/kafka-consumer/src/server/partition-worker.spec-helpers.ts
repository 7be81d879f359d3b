import type { KafkaMessage } from 'kafkajs';
import type { PartitionWorkerHost } from './partition-worker.js';

export const record = (offset: number) =>
  ({ offset: String(offset), key: null, value: null, timestamp: '0', attributes: 0 }) as unknown as KafkaMessage;

export const sized = (offset: number, bytes: number) =>
  ({ ...record(offset), value: Buffer.alloc(bytes) }) as unknown as KafkaMessage;

/** A host whose dispatches wait until the test releases them, recording everything. */
export function fakeHost() {
  const dispatched: string[] = [];
  const progress: Array<{ offset: number | null; idle: boolean }> = [];
  const pending: Array<() => void> = [];
  const pauses: boolean[] = [];
  let limitWarnings = 0;
  const host: PartitionWorkerHost = {
    dispatch: (_worker, message) => {
      dispatched.push(message.offset);
      return new Promise<boolean>((resolve) => pending.push(() => resolve(true)));
    },
    onRedelivery: () => undefined,
    setFetchPaused: (_worker, paused) => pauses.push(paused),
    dueAt: () => 0,
    onProgress: (worker, idle) => progress.push({ offset: worker.tracker.committableOffset(), idle }),
    onPendingLimit: () => limitWarnings++,
  };
  const settleNext = async () => {
    pending.shift()?.();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return {
    host,
    dispatched,
    progress,
    settleNext,
    pauses,
    get fetchPaused() {
      return pauses.at(-1) ?? false;
    },
    get limitWarnings() {
      return limitWarnings;
    },
  };
}
