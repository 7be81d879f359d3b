import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS as H, REPLAYED_FROM_HEADER } from '../kafka-consumer.constants.js';
import { ledgerKey, matchesReplayFilter, replayHeaders, replayTarget, type DeadLetterRecord } from './replay-filter.js';

const record = (overrides: Partial<DeadLetterRecord> = {}, headers: Record<string, string> = {}): DeadLetterRecord => ({
  partition: 0,
  offset: '7',
  timestamp: '1000',
  headers: {
    [H.originalTopic]: Buffer.from('orders'),
    [H.originalPartition]: Buffer.from('2'),
    [H.originalOffset]: Buffer.from('41'),
    [H.exceptionFqcn]: Buffer.from('PaymentDeclinedError'),
    ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
  },
  ...overrides,
});

describe('matchesReplayFilter', () => {
  it('takes every record with an original topic when no criterion is given', () => {
    expect(matchesReplayFilter(record(), {})).toBe(true);
  });

  it('never takes a record without an original topic (it cannot go back)', () => {
    expect(matchesReplayFilter(record({ headers: {} }), {})).toBe(false);
  });

  it('filters by original topic', () => {
    expect(matchesReplayFilter(record(), { originalTopic: 'orders' })).toBe(true);
    expect(matchesReplayFilter(record(), { originalTopic: 'payments' })).toBe(false);
  });

  it('filters by original partition', () => {
    expect(matchesReplayFilter(record(), { originalPartitions: [1, 2] })).toBe(true);
    expect(matchesReplayFilter(record(), { originalPartitions: [0] })).toBe(false);
  });

  it('filters by original offset range, both ends included', () => {
    expect(matchesReplayFilter(record(), { originalOffsets: { from: 41, to: 41 } })).toBe(true);
    expect(matchesReplayFilter(record(), { originalOffsets: { from: '42' } })).toBe(false);
    expect(matchesReplayFilter(record(), { originalOffsets: { to: 40 } })).toBe(false);
    expect(matchesReplayFilter(record({ headers: { [H.originalTopic]: 'orders' } }), { originalOffsets: {} })).toBe(
      false,
    );
  });

  it('filters by exception class', () => {
    expect(matchesReplayFilter(record(), { exceptionClasses: ['PaymentDeclinedError', 'X'] })).toBe(true);
    expect(matchesReplayFilter(record(), { exceptionClasses: ['TimeoutError'] })).toBe(false);
  });

  it('filters by dead-letter time: from included, to excluded', () => {
    expect(matchesReplayFilter(record(), { deadLetteredFrom: 1000, deadLetteredTo: new Date(1001) })).toBe(true);
    expect(matchesReplayFilter(record(), { deadLetteredFrom: new Date(1001) })).toBe(false);
    expect(matchesReplayFilter(record(), { deadLetteredTo: 1000 })).toBe(false);
  });

  it('requires every criterion', () => {
    expect(matchesReplayFilter(record(), { originalTopic: 'orders', exceptionClasses: ['TimeoutError'] })).toBe(false);
  });
});

describe('replayTarget', () => {
  it('is the original topic and partition', () => {
    expect(replayTarget(record())).toEqual({ topic: 'orders', partition: 2 });
  });

  it('leaves the partition to the partitioner when the header is missing', () => {
    expect(replayTarget(record({ headers: { [H.originalTopic]: 'orders' } }))).toEqual({
      topic: 'orders',
      partition: undefined,
    });
  });
});

describe('replayHeaders', () => {
  it("keeps the record's own headers, drops the failure headers and says where it came from", () => {
    const headers = replayHeaders(
      'orders-dlt',
      record({}, { traceparent: 'abc', 'kafka_consumer-attempts': '3', [REPLAYED_FROM_HEADER]: 'old' }),
    );
    expect(Object.keys(headers).toSorted()).toEqual([REPLAYED_FROM_HEADER, 'traceparent'].toSorted());
    expect(String(headers.traceparent)).toBe('abc');
    expect(headers[REPLAYED_FROM_HEADER]).toBe('orders-dlt:0:7');
  });
});

describe('ledgerKey', () => {
  it('identifies a dead-letter record by partition and offset', () => {
    expect(ledgerKey(3, '15')).toBe('3:15');
  });
});
