import { describe, expect, it } from 'vitest';
import { KeyScheduler, type Ticket } from './key-scheduler.js';

interface Rec {
  readonly offset: number;
  readonly key: string | null;
}
const rec = (offset: number, key: string | null): Rec => ({ offset, key });
const scheduler = (mode: 'partition' | 'key' | 'unordered') => new KeyScheduler<Rec>(mode, (r) => r.key);

function takeAll(s: KeyScheduler<Rec>): Array<Ticket<Rec>> {
  const tickets: Array<Ticket<Rec>> = [];
  for (let t = s.take(); t; t = s.take()) tickets.push(t);
  return tickets;
}
const offsets = (tickets: Array<Ticket<Rec>>) => tickets.map((t) => t.item.offset);

describe('KeyScheduler', () => {
  it('partition mode: one record at a time, in offset order', () => {
    const s = scheduler('partition');
    for (const r of [rec(0, 'a'), rec(1, 'b'), rec(2, 'c')]) s.push(r);
    const [first, ...rest] = takeAll(s);
    expect(first.item.offset).toBe(0);
    expect(rest).toEqual([]);
    s.complete(first);
    expect(offsets(takeAll(s))).toEqual([1]);
    expect(s.size).toBe(2);
    expect(s.running).toBe(1);
  });

  it('key mode: different keys run at once, each key in offset order (per-key FIFO)', () => {
    const s = scheduler('key');
    for (const r of [rec(0, 'a'), rec(1, 'b'), rec(2, 'a'), rec(3, 'c'), rec(4, 'b')]) s.push(r);
    const first = takeAll(s);
    expect(offsets(first)).toEqual([0, 1, 3]);
    // Completions out of order: b's next record starts before a's.
    s.complete(first[1]);
    expect(offsets(takeAll(s))).toEqual([4]);
    s.complete(first[0]);
    expect(offsets(takeAll(s))).toEqual([2]);
    expect(s.running).toBe(3);
  });

  it('key mode: records without a key share one lane, in offset order', () => {
    const s = scheduler('key');
    for (const r of [rec(0, null), rec(1, null), rec(2, 'a')]) s.push(r);
    const first = takeAll(s);
    expect(offsets(first)).toEqual([0, 2]);
    s.complete(first[0]);
    expect(offsets(takeAll(s))).toEqual([1]);
  });

  it('key mode: a failed record blocks only its key until unblocked, then runs again first', () => {
    const s = scheduler('key');
    for (const r of [rec(0, 'a'), rec(1, 'b'), rec(2, 'a'), rec(3, 'b')]) s.push(r);
    const [a0, b1] = takeAll(s);
    s.fail(a0);
    s.complete(b1);
    expect(offsets(takeAll(s))).toEqual([3]);
    s.push(rec(4, 'a'));
    expect(takeAll(s)).toEqual([]);
    s.unblock(a0);
    const again = takeAll(s);
    expect(offsets(again)).toEqual([0]);
    s.complete(again[0]);
    expect(offsets(takeAll(s))).toEqual([2]);
  });

  it('unordered mode: every record may run at once; a failed one blocks nothing else', () => {
    const s = scheduler('unordered');
    for (const r of [rec(0, 'a'), rec(1, 'a'), rec(2, null)]) s.push(r);
    const all = takeAll(s);
    expect(offsets(all)).toEqual([0, 1, 2]);
    s.fail(all[0]);
    s.push(rec(3, 'a'));
    expect(offsets(takeAll(s))).toEqual([3]);
    s.unblock(all[0]);
    expect(offsets(takeAll(s))).toEqual([0]);
  });

  it('clear() drops waiting records and keeps running ones until they are given back', () => {
    const s = scheduler('key');
    for (const r of [rec(0, 'a'), rec(1, 'a'), rec(2, 'b')]) s.push(r);
    const [a0, b2] = takeAll(s);
    s.fail(b2);
    // The failed record waits, not running: dropped too.
    expect(s.clear().map((r) => r.offset)).toEqual([1, 2]);
    expect(s.size).toBe(1);
    s.complete(a0);
    expect(s.size).toBe(0);
    expect(takeAll(s)).toEqual([]);
  });

  it('ignores a ticket given back twice', () => {
    const s = scheduler('key');
    s.push(rec(0, 'a'));
    s.push(rec(1, 'a'));
    const [t] = takeAll(s);
    s.complete(t);
    s.complete(t);
    expect(s.size).toBe(1);
    expect(offsets(takeAll(s))).toEqual([1]);
  });

  it('keeps per-key order for 10k records completed in random order', () => {
    const s = scheduler('key');
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 10_000; i++) s.push(rec(i, `k${Math.floor(random() * 50)}`));
    const lastPerKey = new Map<string | null, number>();
    const running: Array<Ticket<Rec>> = [];
    let done = 0;
    while (done < 10_000) {
      running.push(...takeAll(s));
      expect(new Set(running.map((t) => t.item.key)).size).toBe(running.length);
      const [t] = running.splice(Math.floor(random() * running.length), 1);
      expect(t.item.offset).toBeGreaterThan(lastPerKey.get(t.item.key) ?? -1);
      lastPerKey.set(t.item.key, t.item.offset);
      s.complete(t);
      done++;
    }
    expect(s.size).toBe(0);
  });
});
