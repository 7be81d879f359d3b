import { describe, expect, it } from 'vitest';
import { PollingAssignment } from './polling-assignment.js';
import type { PolledRecord } from './polled-record.js';
import { RecordBuffer } from './record-buffer.js';

const record = (partition: number, offset: number) =>
  ({ topic: 't', partition, offset: String(offset) }) as PolledRecord;

describe('RecordBuffer', () => {
  it('turns full at its bound and off again at half, advancing positions of what it returns', () => {
    const partitions = new PollingAssignment(false);
    const [owner] = partitions.onJoin('m', { t: [0] }).acquired;
    const buffer = new RecordBuffer(4);
    for (let offset = 0; offset < 4; offset++) buffer.push(record(0, offset), owner);
    expect(buffer.becameFull()).toBe(true);
    expect(buffer.becameFull()).toBe(false);

    const first = buffer.take(1, () => true);
    expect(first.records.map((r) => r.offset)).toEqual(['0']);
    expect(first.drained).toBe(false);
    expect(owner.position).toBe(1);
    const second = buffer.take(1, () => true);
    expect(second.drained).toBe(true);
    expect(buffer.full).toBe(false);
    expect(owner.position).toBe(2);
  });

  it('drops records of acquisitions that are no longer current', () => {
    const partitions = new PollingAssignment(false);
    const [p0, p1] = partitions.onJoin('m', { t: [0, 1] }).acquired;
    const buffer = new RecordBuffer(10);
    buffer.push(record(0, 0), p0);
    buffer.push(record(1, 0), p1);
    partitions.onJoin('m', { t: [1] });
    const { records } = buffer.take(10, (owner) => partitions.isCurrent(owner));
    expect(records.map((r) => r.partition)).toEqual([1]);
    expect(buffer.size).toBe(0);
  });

  it('drops one partition and tells the first offset dropped, for a rewind', () => {
    const partitions = new PollingAssignment(false);
    const [p0, p1] = partitions.onJoin('m', { t: [0, 1] }).acquired;
    const buffer = new RecordBuffer(10);
    buffer.push(record(0, 5), p0);
    buffer.push(record(1, 2), p1);
    buffer.push(record(0, 6), p0);
    expect(buffer.dropPartition(p0)).toBe(5);
    expect(buffer.dropPartition(p0)).toBeUndefined();
    expect(buffer.size).toBe(1);
  });
});
