import type { IHeaders } from 'kafkajs';
import {
  ATTEMPTS_HEADER,
  DEAD_LETTER_HEADERS,
  FORWARDED_BY_HEADER,
  REPLAYED_FROM_HEADER,
  RETRY_TOPIC_HEADERS,
} from '../kafka-consumer.constants.js';
import { countHeader, headerValue, writableHeaders } from './dead-letter.headers.js';

/** Which dead-letter records `replayDeadLetters` re-publishes; every given criterion must hold. */
export interface ReplayFilter {
  /** Only records dead-lettered from this topic (`kafka_dlt-original-topic`). */
  readonly originalTopic?: string;
  /** Only records from these partitions of their original topic. */
  readonly originalPartitions?: readonly number[];
  /** Only records whose original offset is in this range, both ends included. */
  readonly originalOffsets?: { readonly from?: number | string; readonly to?: number | string };
  /** Only records whose exception class (`kafka_dlt-exception-fqcn`) is one of these names. */
  readonly exceptionClasses?: readonly string[];
  /** Only records written to the dead-letter topic at or after this time. */
  readonly deadLetteredFrom?: Date | number;
  /** Only records written to the dead-letter topic before this time. */
  readonly deadLetteredTo?: Date | number;
}

/** A record read from a dead-letter topic, as the filter sees it. */
export interface DeadLetterRecord {
  readonly partition: number;
  readonly offset: string;
  /** Epoch ms the dead-letter record was written (its Kafka timestamp). */
  readonly timestamp: string;
  readonly headers?: IHeaders;
}

/** Where a dead-letter record goes back to; null when its headers do not say. */
export interface ReplayTarget {
  readonly topic: string;
  readonly partition: number | undefined;
}

export function replayTarget(record: DeadLetterRecord): ReplayTarget | null {
  const topic = headerValue(record.headers, DEAD_LETTER_HEADERS.originalTopic);
  if (topic === undefined || topic === '') return null;
  return { topic, partition: countHeader(record.headers, DEAD_LETTER_HEADERS.originalPartition) };
}

const epochMs = (time: Date | number): number => (time instanceof Date ? time.getTime() : time);

/** True when `record` passes every criterion of `filter` (a record without an original topic never does). */
export function matchesReplayFilter(record: DeadLetterRecord, filter: ReplayFilter): boolean {
  const target = replayTarget(record);
  if (!target) return false;
  const H = DEAD_LETTER_HEADERS;
  if (filter.originalTopic !== undefined && target.topic !== filter.originalTopic) return false;
  if (filter.originalPartitions !== undefined) {
    if (target.partition === undefined || !filter.originalPartitions.includes(target.partition)) return false;
  }
  if (filter.originalOffsets !== undefined) {
    const offset = countHeader(record.headers, H.originalOffset);
    if (offset === undefined) return false;
    const { from, to } = filter.originalOffsets;
    if (from !== undefined && offset < Number(from)) return false;
    if (to !== undefined && offset > Number(to)) return false;
  }
  if (filter.exceptionClasses !== undefined) {
    const exception = headerValue(record.headers, H.exceptionFqcn);
    if (exception === undefined || !filter.exceptionClasses.includes(exception)) return false;
  }
  const time = Number(record.timestamp);
  if (filter.deadLetteredFrom !== undefined && !(time >= epochMs(filter.deadLetteredFrom))) return false;
  if (filter.deadLetteredTo !== undefined && !(time < epochMs(filter.deadLetteredTo))) return false;
  return true;
}

/** Headers the library adds on failure: not carried back to the original topic. */
const FAILURE_HEADERS = new Set<string>([
  ...Object.values(DEAD_LETTER_HEADERS),
  ...Object.values(RETRY_TOPIC_HEADERS),
  ATTEMPTS_HEADER,
  FORWARDED_BY_HEADER,
  REPLAYED_FROM_HEADER,
]);

/** Identity of a dead-letter record within its topic, as the replay ledger keys it. */
export function ledgerKey(partition: number, offset: string): string {
  return `${partition}:${offset}`;
}

/**
 * Headers of the re-published record: the record's own headers without the failure headers (so it
 * is processed, and if it fails again dead-lettered, as a fresh record), plus where it came from.
 */
export function replayHeaders(deadLetterTopic: string, record: DeadLetterRecord): IHeaders {
  const headers = writableHeaders(record.headers);
  for (const name of Object.keys(headers)) if (FAILURE_HEADERS.has(name)) delete headers[name];
  headers[REPLAYED_FROM_HEADER] = `${deadLetterTopic}:${record.partition}:${record.offset}`;
  return headers;
}
