import { describe, expect, it } from 'vitest';
import { BufferBudget } from './buffer-budget.js';

describe('BufferBudget', () => {
  it('takes room while it fits and keeps the peaks', () => {
    const budget = new BufferBudget(100);
    expect(budget.reserve(60)).toBe(true);
    expect(budget.reserve(40)).toBe(true);
    expect(budget.reserve(1)).toBe(false);
    expect([budget.bytes, budget.records]).toEqual([100, 2]);
    budget.release(60);
    expect([budget.bytes, budget.records, budget.peakBytes, budget.peakRecords]).toEqual([40, 1, 100, 2]);
  });

  it('takes a record larger than the budget only when nothing is buffered', () => {
    const budget = new BufferBudget(10);
    expect(budget.reserve(50)).toBe(true);
    expect(budget.reserve(1)).toBe(false);
    budget.release(50);
    expect(budget.reserve(1)).toBe(true);
  });

  it('calls back refused partitions once, when the buffer is at most half full', () => {
    const budget = new BufferBudget(100);
    budget.reserve(50);
    budget.reserve(40);
    let calls = 0;
    const onRoom = () => calls++;
    budget.whenRoom(onRoom);
    budget.whenRoom(onRoom);
    budget.release(30);
    expect(calls).toBe(0);
    budget.release(50);
    expect(calls).toBe(1);
    budget.reserve(90);
    budget.release(90);
    expect(calls).toBe(1);
  });

  it('calls back at once when there is room already, and not after cancel()', () => {
    const budget = new BufferBudget(100);
    let calls = 0;
    budget.whenRoom(() => calls++);
    expect(calls).toBe(1);
    budget.reserve(80);
    const onRoom = () => calls++;
    budget.whenRoom(onRoom);
    budget.cancel(onRoom);
    budget.release(80);
    expect(calls).toBe(1);
  });
});
