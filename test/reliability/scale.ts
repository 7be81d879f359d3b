/**
 * Size of the reliability scenarios: CI-sized by default (the whole folder adds a few minutes to
 * `npm test`); RELIABILITY_SCALE=full runs them at full size (more records, longer soak).
 */
import { expect } from 'vitest';
import type { DeliveryReport } from '../support/delivery-ledger.js';

export const full = process.env.RELIABILITY_SCALE === 'full';

/** `ci` by default, `fullSize` with RELIABILITY_SCALE=full. */
export function scaled(ci: number, fullSize: number): number {
  return full ? fullSize : ci;
}

/**
 * What every scenario promises: nothing lost, a duplicate only inside the uncommitted window,
 * records of a partition and of a key first delivered in order, committed offsets never lower.
 * `order` is the order the group's concurrency mode promises: `'partition'` (default: per
 * partition, so per key too), `'key'` (per key only) or `'none'` (a group with `'unordered'` members).
 */
export function assertDelivery(
  report: DeliveryReport,
  { order = 'partition' }: { order?: 'partition' | 'key' | 'none' } = {},
): void {
  expect(report.lost.slice(0, 20), `${report.lost.length} lost ids`).toEqual([]);
  expect(
    report.duplicates.filter((d) => !d.insideWindow).slice(0, 20),
    'duplicates of records already committed',
  ).toEqual([]);
  if (order === 'partition') {
    expect(report.partitionOrderViolations.slice(0, 20), 'per-partition order').toEqual([]);
  }
  if (order !== 'none') expect(report.keyOrderViolations.slice(0, 20), 'per-key order').toEqual([]);
  expect(report.offsetRegressions.slice(0, 20), 'committed offsets that decreased').toEqual([]);
}
