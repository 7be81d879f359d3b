import { describe, expect, it } from 'vitest';
import { decideKeyOrder, ParkedKeys } from './parked-keys.js';

describe('ParkedKeys', () => {
  it('parks a key for the main topic while one of its records waits on a retry stage', () => {
    const parked = new ParkedKeys();
    expect(decideKeyOrder(parked, 'k', 0)).toBe('process');
    parked.add('k', 1);
    expect(decideKeyOrder(parked, 'k', 0)).toBe('follow');
    expect(decideKeyOrder(parked, 'other', 0)).toBe('process');
    // On the stage where it waits, the record itself (and its followers, in offset order) is processed.
    expect(decideKeyOrder(parked, 'k', 1)).toBe('process');
    parked.remove('k', 1);
    expect(decideKeyOrder(parked, 'k', 0)).toBe('process');
    expect(parked.size).toBe(0);
  });

  it('keeps the key parked until every waiting record of it is settled', () => {
    const parked = new ParkedKeys();
    parked.add('k', 1);
    parked.add('k', 1);
    parked.remove('k', 1);
    expect(parked.parkedAfter('k', 0)).toBe(true);
    parked.remove('k', 1);
    expect(parked.parkedAfter('k', 0)).toBe(false);
  });

  it('makes records on a stage follow a record of their key that moved on to a later stage', () => {
    const parked = new ParkedKeys();
    parked.add('k', 1);
    parked.add('k', 1);
    // The first record fails on stage 1 and moves to stage 2: its follower on stage 1 must follow it.
    parked.remove('k', 1);
    parked.add('k', 2);
    expect(decideKeyOrder(parked, 'k', 1)).toBe('follow');
    expect(decideKeyOrder(parked, 'k', 2)).toBe('process');
  });

  it('never holds records without a key, and ignores settlements it never saw', () => {
    const parked = new ParkedKeys();
    parked.add('k', 1);
    expect(decideKeyOrder(parked, null, 0)).toBe('process');
    parked.remove('unknown', 1);
    parked.remove('k', 2);
    expect(parked.parkedAfter('k', 0)).toBe(true);
    parked.clear();
    expect(parked.parkedAfter('k', 0)).toBe(false);
  });
});
