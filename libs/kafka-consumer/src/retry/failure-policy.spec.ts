import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { DeadLetterPublishError } from '../errors/dead-letter-publish.error.js';
import { DeserializationError } from '../errors/deserialization.error.js';
import { NonRetriableError } from '../errors/non-retriable.error.js';
import { StaleOffsetWriteError } from '../errors/stale-offset-write.error.js';
import { decideFailure, type FailureFacts, type FailureRouteKind } from './failure-policy.js';
import { isFinalFailure, isSettled, type RecordOutcome } from './record-outcome.js';

class PaymentDeclinedError extends Error {}

const routes =
  (retriable: FailureRouteKind, nonRetriable: FailureRouteKind = retriable) =>
  (isRetriable: boolean): FailureRouteKind =>
    isRetriable ? retriable : nonRetriable;

const facts = (overrides: Partial<FailureFacts> = {}): FailureFacts => ({
  stage: 'handler',
  attempt: 1,
  attempts: 3,
  nonRetriable: [],
  redeliveries: 0,
  aborted: false,
  route: routes('none'),
  refused: 'skip',
  exhausted: 'redeliver',
  ...overrides,
});

const timeout = new Error('timeout');
const publishFailed = new DeadLetterPublishError('write failed', 'orders-dlt', 'orders', 0, '7');
const fenced = new StaleOffsetWriteError('billing', [{ topic: 'orders', partition: 0 }]);
const undecodable = new DeserializationError('bad json', 'orders-dlt', 0, '3');

describe('decideFailure', () => {
  it('retries a retriable handler error while attempts are left, then goes to the route', () => {
    expect(decideFailure(timeout, facts({ attempt: 1 }))).toEqual({ action: 'retry' });
    expect(decideFailure(timeout, facts({ attempt: 2 }))).toEqual({ action: 'retry' });
    expect(decideFailure(timeout, facts({ attempt: 3, route: routes('dead-letter') }))).toEqual({
      action: 'recover',
      retriable: true,
    });
  });

  it('never retries non-retriable errors (NonRetriableError, pipe failures, configured classes)', () => {
    const dlt = routes('retry-topic', 'dead-letter');
    expect(decideFailure(new NonRetriableError('no'), facts({ route: dlt }))).toEqual({
      action: 'recover',
      retriable: false,
    });
    expect(decideFailure(new BadRequestException(), facts({ route: dlt }))).toEqual({
      action: 'recover',
      retriable: false,
    });
    expect(
      decideFailure(new PaymentDeclinedError(), facts({ nonRetriable: [PaymentDeclinedError], route: dlt })),
    ).toEqual({ action: 'recover', retriable: false });
  });

  it('forwards a retriable error to the retry topic and a non-retriable one to the dead-letter topic', () => {
    const both = routes('retry-topic', 'dead-letter');
    expect(decideFailure(timeout, facts({ attempts: 1, route: both }))).toEqual({ action: 'recover', retriable: true });
    expect(decideFailure(new NonRetriableError('x'), facts({ route: both }))).toEqual({
      action: 'recover',
      retriable: false,
    });
  });

  it('fences a StaleOffsetWriteError whatever else holds', () => {
    expect(decideFailure(fenced, facts({ aborted: true, route: routes('dead-letter') }))).toEqual({ action: 'fenced' });
  });

  it('neither retries nor dead-letters once the partition is revoked or the consumer stops', () => {
    expect(decideFailure(timeout, facts({ aborted: true, route: routes('dead-letter') }))).toEqual({
      action: 'redeliver',
      reason: 'aborted',
    });
  });

  it('redelivers a failed dead-letter write, even under a skip policy (L5: never committed)', () => {
    const decision = decideFailure(
      publishFailed,
      facts({ attempt: 3, redeliveries: 99, exhausted: { skipAfterRedeliveries: 0 }, route: routes('dead-letter') }),
    );
    expect(decision).toEqual({ action: 'redeliver', reason: 'recovery-failed' });
  });

  describe('exhausted records with nowhere to go', () => {
    it('are redelivered by default, however often', () => {
      expect(decideFailure(timeout, facts({ attempt: 3, redeliveries: 1000 }))).toEqual({
        action: 'redeliver',
        reason: 'exhausted',
      });
    });

    it('are skipped once they were delivered again skipAfterRedeliveries times', () => {
      const policy = { skipAfterRedeliveries: 2 };
      const at = (redeliveries: number) =>
        decideFailure(timeout, facts({ attempt: 3, redeliveries, exhausted: policy }));
      expect(at(0)).toEqual({ action: 'redeliver', reason: 'exhausted' });
      expect(at(1)).toEqual({ action: 'redeliver', reason: 'exhausted' });
      expect(at(2)).toEqual({ action: 'skip', reason: 'exhausted' });
    });

    it('skipAfterRedeliveries: 0 skips at the first exhaustion, after the in-process retries', () => {
      const policy = { skipAfterRedeliveries: 0 };
      expect(decideFailure(timeout, facts({ attempt: 1, exhausted: policy }))).toEqual({ action: 'retry' });
      expect(decideFailure(timeout, facts({ attempt: 3, exhausted: policy }))).toEqual({
        action: 'skip',
        reason: 'exhausted',
      });
    });

    it('a failure inside a dead-letter topic is not dead-lettered again: the exhausted policy applies', () => {
      const dltRecord = routes('dead-letter-record');
      expect(decideFailure(timeout, facts({ attempt: 3, route: dltRecord }))).toEqual({
        action: 'redeliver',
        reason: 'exhausted',
      });
    });
  });

  describe('guard refusals', () => {
    it('are skipped by default, never retried', () => {
      expect(decideFailure({ status: 'error' }, facts({ stage: 'refusal' }))).toEqual({
        action: 'skip',
        reason: 'refused',
      });
    });

    it('are dead-lettered with refused: dead-letter, as non-retriable (never to a retry topic)', () => {
      expect(
        decideFailure(
          {},
          facts({ stage: 'refusal', refused: 'dead-letter', route: routes('retry-topic', 'dead-letter') }),
        ),
      ).toEqual({ action: 'recover', retriable: false });
    });

    it('fall back to the exhausted policy when refused: dead-letter has no dead-letter topic', () => {
      expect(decideFailure({}, facts({ stage: 'refusal', refused: 'dead-letter' }))).toEqual({
        action: 'redeliver',
        reason: 'exhausted',
      });
    });

    it('are redelivered with refused: redeliver', () => {
      expect(decideFailure({}, facts({ stage: 'refusal', refused: 'redeliver' }))).toEqual({
        action: 'redeliver',
        reason: 'refused',
      });
    });
  });

  describe('deserialization failures', () => {
    it('are never retried in process, and go straight to the dead-letter topic', () => {
      expect(
        decideFailure(
          undecodable,
          facts({ stage: 'deserialization', attempt: 1, route: routes('retry-topic', 'dead-letter') }),
        ),
      ).toEqual({ action: 'recover', retriable: false });
    });

    it('are skipped on a dead-letter topic (S7: such records never block it)', () => {
      expect(
        decideFailure(undecodable, facts({ stage: 'deserialization', route: routes('dead-letter-record') })),
      ).toEqual({ action: 'skip', reason: 'undeserializable-dead-letter-record' });
    });

    it('follow the exhausted policy when dead-lettering is off', () => {
      expect(decideFailure(undecodable, facts({ stage: 'deserialization' }))).toEqual({
        action: 'redeliver',
        reason: 'exhausted',
      });
    });
  });

  it('a failure outside the handler (pipeline stage) is not retried in process but may be forwarded', () => {
    expect(decideFailure(timeout, facts({ stage: 'pipeline', attempt: 1, route: routes('retry-topic') }))).toEqual({
      action: 'recover',
      retriable: true,
    });
    expect(decideFailure(timeout, facts({ stage: 'pipeline', attempt: 1 }))).toEqual({
      action: 'redeliver',
      reason: 'exhausted',
    });
  });
});

describe('record outcomes', () => {
  const outcomes: Array<[RecordOutcome, boolean, boolean]> = [
    [{ kind: 'processed' }, true, false],
    [{ kind: 'dead-lettered', topic: 'orders-dlt', error: timeout }, true, false],
    [{ kind: 'forwarded', topic: 'orders-retry-1000', error: timeout }, true, false],
    [{ kind: 'skipped', reason: 'refused', error: {} }, true, false],
    [{ kind: 'redeliver', reason: 'exhausted', error: timeout }, false, false],
    [{ kind: 'redeliver', reason: 'refused', error: {} }, false, false],
    [{ kind: 'redeliver', reason: 'recovery-failed', error: publishFailed }, false, true],
    [{ kind: 'redeliver', reason: 'aborted', error: timeout }, false, true],
    [{ kind: 'redeliver', reason: 'skip-hook-failed', error: timeout }, false, true],
    [{ kind: 'fenced', error: fenced }, false, true],
  ];

  it.each(outcomes)('%o: settled %s, final failure %s', (outcome, settled, final) => {
    expect(isSettled(outcome)).toBe(settled);
    expect(isFinalFailure(outcome)).toBe(final);
  });
});
