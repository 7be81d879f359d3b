/**
 * The delivery ledger every reliability scenario asserts on: pure bookkeeping, free of Kafka and
 * Nest, unit-tested in test/unit/delivery-ledger.spec.ts. The Kafka side (producing, sampling the
 * committed offsets, collecting handler reports) is ./delivery-checker.ts.
 *
 * Producers write unique ids with a per-key sequence number; handlers record each delivery; the
 * committed offsets are sampled throughout. `report()` then lists:
 *  - lost ids: produced, never handled by any of the groups asked about (ids the producer had
 *    acknowledged but that are not on the topic are listed apart, as `unwritten`);
 *  - duplicate ids, each marked inside or outside the uncommitted window: inside when the record's
 *    offset is at or past every committed offset sampled before its redelivery (it was never
 *    committed, so replaying it is the at-least-once contract); outside when it had been committed
 *    and was delivered again anyway (a broken promise);
 *  - per-key order violations: a key's first deliveries whose sequence numbers go backwards;
 *  - per-partition order violations: a partition's first deliveries whose offsets go backwards;
 *  - committed offsets that decreased between two samples.
 */

export interface ProducedRecord {
  readonly id: string;
  readonly key: string;
  readonly seq: number;
}

export interface Delivery extends ProducedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly group: string;
  readonly member: string;
  /** When the handler saw it (ms since epoch). */
  readonly at: number;
  /**
   * When the handler started on it, if reported. A second delivery counts as inside the window
   * when it started before the offset was committed: the member that lost the partition at a
   * rebalance finishing a record already running (README: overlap bounded by timing).
   */
  readonly startedAt?: number;
}

export interface CommittedSample {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** The next offset to consume (Kafka's convention); -1 when nothing is committed. */
  readonly offset: number;
  readonly at: number;
}

export interface Duplicate {
  readonly id: string;
  readonly group: string;
  readonly deliveries: number;
  readonly insideWindow: boolean;
}

export interface OrderViolation {
  readonly group: string;
  /** `key` for per-key order, `topic:partition` for per-partition order. */
  readonly scope: string;
  readonly expectedAfter: number;
  readonly got: number;
  readonly id: string;
}

export interface OffsetRegression {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  readonly at: number;
}

export interface DeliveryReport {
  readonly produced: number;
  readonly delivered: number;
  readonly lost: string[];
  /** Acknowledged by the producer yet absent from the topic: lost before any consumer saw them. */
  readonly unwritten: string[];
  readonly duplicates: Duplicate[];
  readonly duplicatesInsideWindow: number;
  readonly duplicatesOutsideWindow: number;
  readonly keyOrderViolations: OrderViolation[];
  readonly partitionOrderViolations: OrderViolation[];
  readonly offsetRegressions: OffsetRegression[];
}

const tp = (topic: string, partition: number) => `${topic}:${partition}`;

export class DeliveryLedger {
  private readonly producedRecords = new Map<string, ProducedRecord>();
  private readonly deliveries: Delivery[] = [];
  private readonly samples: CommittedSample[] = [];
  private readonly unwrittenIds = new Set<string>();

  produced(record: ProducedRecord): void {
    if (this.producedRecords.has(record.id)) throw new Error(`id ${record.id} produced twice: ids must be unique`);
    this.producedRecords.set(record.id, record);
  }

  delivered(delivery: Delivery): void {
    this.deliveries.push(delivery);
  }

  /** Forgets every delivery (a caller that rebuilds them from its reports). */
  clearDeliveries(): void {
    this.deliveries.length = 0;
  }

  /**
   * Marks an acknowledged id as absent from its topic (read back in full): the producer lost it,
   * not the consumer. It is then reported as `unwritten`, not `lost`.
   */
  unwritten(id: string): void {
    this.unwrittenIds.add(id);
  }

  producedRecord(id: string): ProducedRecord | undefined {
    return this.producedRecords.get(id);
  }

  committed(sample: CommittedSample): void {
    this.samples.push(sample);
  }

  /** Ids produced so far. */
  producedIds(): string[] {
    return [...this.producedRecords.keys()];
  }

  /** Distinct produced ids `groups` handled so far (for waitFor). */
  deliveredCount(groups?: readonly string[]): number {
    const seen = new Set<string>();
    for (const d of this.deliveries) {
      if (!groups || groups.includes(d.group)) seen.add(d.id);
    }
    let count = 0;
    for (const id of seen) if (this.producedRecords.has(id)) count++;
    return count;
  }

  /**
   * The figures for `groups` (all groups when omitted): an id counts as delivered when any of
   * them handled it (a main group and its dead-letter group together, say). Duplicates and order
   * are judged per group.
   */
  report(groups?: readonly string[]): DeliveryReport {
    const inScope = (group: string) => !groups || groups.includes(group);
    const deliveries = this.deliveries.filter((d) => inScope(d.group)).toSorted((a, b) => a.at - b.at);
    const deliveredIds = new Set(deliveries.map((d) => d.id));
    const missing = [...this.producedRecords.keys()].filter((id) => !deliveredIds.has(id));
    const lost = missing.filter((id) => !this.unwrittenIds.has(id));
    const unwritten = missing.filter((id) => this.unwrittenIds.has(id));

    const duplicates: Duplicate[] = [];
    const keyOrderViolations: OrderViolation[] = [];
    const partitionOrderViolations: OrderViolation[] = [];
    const byGroup = new Map<string, Delivery[]>();
    for (const d of deliveries) {
      const list = byGroup.get(d.group);
      if (list) list.push(d);
      else byGroup.set(d.group, [d]);
    }
    for (const [group, list] of byGroup) {
      const counts = new Map<string, Delivery[]>();
      const lastSeq = new Map<string, number>();
      const lastOffset = new Map<string, number>();
      for (const d of list) {
        const earlier = counts.get(d.id);
        if (earlier) {
          earlier.push(d);
          continue;
        }
        counts.set(d.id, [d]);
        const seqBefore = lastSeq.get(d.key);
        if (seqBefore !== undefined && d.seq < seqBefore) {
          keyOrderViolations.push({ group, scope: d.key, expectedAfter: seqBefore, got: d.seq, id: d.id });
        }
        lastSeq.set(d.key, Math.max(seqBefore ?? -Infinity, d.seq));
        const where = tp(d.topic, d.partition);
        const offsetBefore = lastOffset.get(where);
        if (offsetBefore !== undefined && d.offset < offsetBefore) {
          partitionOrderViolations.push({ group, scope: where, expectedAfter: offsetBefore, got: d.offset, id: d.id });
        }
        lastOffset.set(where, Math.max(offsetBefore ?? -Infinity, d.offset));
      }
      for (const [id, seen] of counts) {
        if (seen.length < 2) continue;
        const again = seen[1];
        const committedBefore = this.maxCommitted(group, again.topic, again.partition, again.startedAt ?? again.at);
        duplicates.push({ id, group, deliveries: seen.length, insideWindow: again.offset >= committedBefore });
      }
    }

    return {
      produced: this.producedRecords.size,
      delivered: [...deliveredIds].filter((id) => this.producedRecords.has(id)).length,
      lost,
      unwritten,
      duplicates,
      duplicatesInsideWindow: duplicates.filter((d) => d.insideWindow).length,
      duplicatesOutsideWindow: duplicates.filter((d) => !d.insideWindow).length,
      keyOrderViolations,
      partitionOrderViolations,
      offsetRegressions: this.offsetRegressions(inScope),
    };
  }

  /** Highest committed offset sampled for the partition at or before `at` (-1 when none). */
  private maxCommitted(group: string, topic: string, partition: number, at: number): number {
    let max = -1;
    for (const s of this.samples) {
      if (s.group === group && s.topic === topic && s.partition === partition && s.at <= at) {
        max = Math.max(max, s.offset);
      }
    }
    return max;
  }

  private offsetRegressions(inScope: (group: string) => boolean): OffsetRegression[] {
    const regressions: OffsetRegression[] = [];
    const highest = new Map<string, number>();
    for (const s of this.samples.toSorted((a, b) => a.at - b.at)) {
      if (!inScope(s.group) || s.offset < 0) continue;
      const where = `${s.group}\u0000${tp(s.topic, s.partition)}`;
      const before = highest.get(where);
      if (before !== undefined && s.offset < before) {
        regressions.push({
          group: s.group,
          topic: s.topic,
          partition: s.partition,
          from: before,
          to: s.offset,
          at: s.at,
        });
      }
      highest.set(where, Math.max(before ?? -1, s.offset));
    }
    return regressions;
  }
}

/** One line of figures for a scenario's output and the README table. */
export function formatReport(scenario: string, report: DeliveryReport, extra: Record<string, string | number> = {}) {
  const fields = {
    produced: report.produced,
    delivered: report.delivered,
    lost: report.lost.length,
    unwritten: report.unwritten.length,
    'duplicates inside window': report.duplicatesInsideWindow,
    'duplicates outside window': report.duplicatesOutsideWindow,
    'key order violations': report.keyOrderViolations.length,
    'partition order violations': report.partitionOrderViolations.length,
    'offset regressions': report.offsetRegressions.length,
    ...extra,
  };
  return `[reliability] ${scenario}: ${Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}`;
}
