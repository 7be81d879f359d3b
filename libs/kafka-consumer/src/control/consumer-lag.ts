/** How far one partition of a group is behind its log end. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** Next offset the group reads (its committed offset); null when nothing is stored yet or unknown here. */
  readonly committedOffset: string | null;
  /** Log end offset (high watermark): the offset the next produced record gets. */
  readonly endOffset: string;
  /**
   * Records not yet committed: `endOffset - committedOffset` (from the log start offset when nothing
   * is committed); null when the committed offset is unknown here (an external offset store and a
   * partition another member owns).
   */
  readonly lag: number | null;
  /** The partition is assigned to this member. */
  readonly assigned: boolean;
}

export interface PartitionOffsets {
  readonly topic: string;
  readonly partition: number;
  /** Log start offset. */
  readonly low: string;
  /** Log end offset. */
  readonly high: string;
  /** Stored next offset; null: nothing stored; undefined: not known here. */
  readonly committed: string | null | undefined;
  readonly assigned: boolean;
}

/** The lag of a partition from its offsets. Records below the log start (deleted) are not counted. */
export function partitionLag({ topic, partition, low, high, committed, assigned }: PartitionOffsets): PartitionLag {
  const end = Number(high);
  const start = Number(low);
  let lag: number | null = null;
  if (committed === null) lag = Math.max(0, end - start);
  else if (committed !== undefined) lag = Math.max(0, end - Math.max(Number(committed), start));
  return { topic, partition, committedOffset: committed ?? null, endOffset: high, lag, assigned };
}

/** Kafka's "no committed offset" (-1, or an empty string from some brokers) as null. */
export function committedOrNull(offset: string | undefined): string | null {
  if (offset === undefined || offset === '' || Number(offset) < 0) return null;
  return offset;
}
