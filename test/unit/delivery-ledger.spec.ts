import { describe, expect, it } from 'vitest';
import { DeliveryLedger, formatReport, type Delivery } from '../support/delivery-ledger.js';

const G = 'group';

function delivery(id: string, offset: number, at: number, extra: Partial<Delivery> = {}): Delivery {
  const [key, seq] = id.split('.');
  return { id, key, seq: Number(seq), topic: 't', partition: 0, offset, group: G, member: 'm1', at, ...extra };
}

function ledgerWith(ids: string[]): DeliveryLedger {
  const ledger = new DeliveryLedger();
  for (const id of ids) {
    const [key, seq] = id.split('.');
    ledger.produced({ id, key, seq: Number(seq) });
  }
  return ledger;
}

describe('DeliveryLedger', () => {
  it('reports nothing wrong when every id is delivered once, in order', () => {
    const ledger = ledgerWith(['a.0', 'a.1', 'a.2']);
    ['a.0', 'a.1', 'a.2'].forEach((id, i) => ledger.delivered(delivery(id, i, 10 + i)));
    ledger.committed({ group: G, topic: 't', partition: 0, offset: 1, at: 11 });
    ledger.committed({ group: G, topic: 't', partition: 0, offset: 3, at: 20 });
    const report = ledger.report();
    expect(report).toMatchObject({ produced: 3, delivered: 3, lost: [], duplicates: [] });
    expect(report.keyOrderViolations).toEqual([]);
    expect(report.partitionOrderViolations).toEqual([]);
    expect(report.offsetRegressions).toEqual([]);
  });

  it('lists the ids no group in scope handled as lost, counting a dead-letter group as delivery', () => {
    const ledger = ledgerWith(['a.0', 'a.1', 'a.2']);
    ledger.delivered(delivery('a.0', 0, 1));
    ledger.delivered(delivery('a.1', 0, 2, { group: 'dlt', topic: 't.DLT' }));
    expect(ledger.report([G]).lost).toEqual(['a.1', 'a.2']);
    expect(ledger.report([G, 'dlt']).lost).toEqual(['a.2']);
    expect(ledger.deliveredCount([G, 'dlt'])).toBe(2);
  });

  it('reports an acknowledged id missing from the topic as unwritten, not lost', () => {
    const ledger = ledgerWith(['a.0', 'a.1']);
    ledger.unwritten('a.1');
    expect(ledger.report()).toMatchObject({ lost: ['a.0'], unwritten: ['a.1'] });
  });

  it('marks a redelivered record inside the uncommitted window unless its offset had been committed', () => {
    const ledger = ledgerWith(['a.0', 'a.1', 'a.2']);
    ['a.0', 'a.1', 'a.2'].forEach((id, i) => ledger.delivered(delivery(id, i, 10 + i)));
    ledger.committed({ group: G, topic: 't', partition: 0, offset: 2, at: 15 });
    // After a fault: a.2 (offset 2, never committed) comes back — fine; a.0 (committed) too — not.
    ledger.delivered(delivery('a.2', 2, 30, { member: 'm2' }));
    ledger.delivered(delivery('a.0', 0, 31, { member: 'm2' }));
    const report = ledger.report();
    expect(report.duplicates).toEqual([
      { id: 'a.0', group: G, deliveries: 2, insideWindow: false },
      { id: 'a.2', group: G, deliveries: 2, insideWindow: true },
    ]);
    expect(report.duplicatesInsideWindow).toBe(1);
    expect(report.duplicatesOutsideWindow).toBe(1);
    // Redeliveries are not order violations: only first deliveries are judged.
    expect(report.keyOrderViolations).toEqual([]);
  });

  it('counts a second delivery that started before the commit as inside the window (a revoked member finishing late)', () => {
    const ledger = ledgerWith(['a.0', 'a.1']);
    // m1 starts a.0 at 5 and loses the partition; m2 processes a.0 and a.1 and commits past both at 20.
    ledger.delivered(delivery('a.0', 0, 12, { member: 'm2', startedAt: 11 }));
    ledger.delivered(delivery('a.1', 1, 13, { member: 'm2', startedAt: 13 }));
    ledger.committed({ group: G, topic: 't', partition: 0, offset: 2, at: 20 });
    // m1's handler returns only now: started before the commit, so inside the window.
    ledger.delivered(delivery('a.0', 0, 25, { member: 'm1', startedAt: 5 }));
    // m2 processing a.1 again after the commit is not.
    ledger.delivered(delivery('a.1', 1, 30, { member: 'm2', startedAt: 29 }));
    expect(ledger.report().duplicates).toEqual([
      { id: 'a.0', group: G, deliveries: 2, insideWindow: true },
      { id: 'a.1', group: G, deliveries: 2, insideWindow: false },
    ]);
  });

  it('judges duplicates and order per group: two groups reading the same id is not a duplicate', () => {
    const ledger = ledgerWith(['a.0']);
    ledger.delivered(delivery('a.0', 0, 1));
    ledger.delivered(delivery('a.0', 0, 2, { group: 'other' }));
    expect(ledger.report().duplicates).toEqual([]);
  });

  it('reports a key whose sequence numbers are first delivered out of order', () => {
    const ledger = ledgerWith(['a.0', 'a.1', 'b.0']);
    ledger.delivered(delivery('a.1', 5, 1, { partition: 1 }));
    ledger.delivered(delivery('b.0', 0, 2));
    ledger.delivered(delivery('a.0', 1, 3));
    const report = ledger.report();
    expect(report.keyOrderViolations).toEqual([{ group: G, scope: 'a', expectedAfter: 1, got: 0, id: 'a.0' }]);
    expect(report.partitionOrderViolations).toEqual([]);
  });

  it('reports a partition whose offsets are first delivered out of order, sorting deliveries by time', () => {
    const ledger = ledgerWith(['a.0', 'b.0', 'c.0']);
    // Reported out of time order (two processes): sorting by `at` restores the real order.
    ledger.delivered(delivery('b.0', 1, 20));
    ledger.delivered(delivery('a.0', 0, 10));
    ledger.delivered(delivery('c.0', 0, 30));
    expect(ledger.report().partitionOrderViolations).toEqual([
      { group: G, scope: 't:0', expectedAfter: 1, got: 0, id: 'c.0' },
    ]);
  });

  it('reports a committed offset that went down, ignoring "nothing committed" samples', () => {
    const ledger = new DeliveryLedger();
    ledger.committed({ group: G, topic: 't', partition: 0, offset: -1, at: 1 });
    ledger.committed({ group: G, topic: 't', partition: 0, offset: 7, at: 2 });
    ledger.committed({ group: G, topic: 't', partition: 1, offset: 3, at: 3 });
    ledger.committed({ group: G, topic: 't', partition: 0, offset: 4, at: 4 });
    ledger.committed({ group: G, topic: 't', partition: 0, offset: 9, at: 5 });
    expect(ledger.report().offsetRegressions).toEqual([{ group: G, topic: 't', partition: 0, from: 7, to: 4, at: 4 }]);
  });

  it('refuses an id produced twice (the checker relies on unique ids)', () => {
    const ledger = ledgerWith(['a.0']);
    expect(() => ledger.produced({ id: 'a.0', key: 'a', seq: 0 })).toThrow(/produced twice/);
  });

  it('formats one line of figures', () => {
    const ledger = ledgerWith(['a.0']);
    expect(formatReport('s1', ledger.report(), { 'resume ms': 12 })).toBe(
      '[reliability] s1: produced=1, delivered=0, lost=1, unwritten=0, duplicates inside window=0, duplicates outside window=0, ' +
        'key order violations=0, partition order violations=0, offset regressions=0, resume ms=12',
    );
  });
});
