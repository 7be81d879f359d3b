import type { KafkaTestKit } from './kafka.js';

/** A producer that keeps writing JSON records `{ id }` with unique, increasing ids until stopped. */
export interface SteadyProducer {
  /** Ids acknowledged by the broker so far. */
  readonly produced: readonly string[];
  /** Stops after the batch in flight; rejects if a send failed. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Sends `batchSize` records (keyed by id, so they spread over partitions) every `intervalMs`
 * (the pace, not a synchronisation) until `stop()`.
 */
export function startSteadyProducer(
  kit: KafkaTestKit,
  topic: string,
  {
    batchSize = 10,
    intervalMs = 20,
    idPrefix = 'r',
  }: { batchSize?: number; intervalMs?: number; idPrefix?: string } = {},
): SteadyProducer {
  const produced: string[] = [];
  const stopping = new AbortController();
  let next = 0;
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const ids = Array.from({ length: batchSize }, () => `${idPrefix}${next++}`);
      await kit.produce(
        topic,
        ids.map((id) => ({ key: id, value: JSON.stringify({ id }) })),
      );
      produced.push(...ids);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  // Surfaced by stop(); never an unhandled rejection meanwhile.
  loop.catch(() => undefined);
  return {
    produced,
    stop: async () => {
      stopping.abort();
      await loop;
    },
  };
}
