import type { KafkaMessage } from 'kafkajs';
import { of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import type { ResolvedHandlerOptions } from '../kafka-consumer.options.js';
import type { FailureSettlement } from '../retry/failure-settlement.js';
import type { FailureStage } from '../retry/failure-policy.js';
import { PROCESSED, type RecordOutcome } from '../retry/record-outcome.js';
import { directInvocation, type HandlerCall } from './direct-invocation.js';

const message = { key: null, value: null, headers: {}, offset: '7', timestamp: '0' } as unknown as KafkaMessage;
const retry = {
  attempts: 3,
  backoff: { type: 'fixed', delayMs: 1, multiplier: 1, maxDelayMs: 1, jitter: 0 },
  nonRetriable: [],
};

function context(signal = new AbortController().signal): KafkaConsumerContext {
  return new KafkaConsumerContext([message, 'orders', 0, 'billing'], {
    commit: async () => undefined,
    heartbeat: async () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    signal,
    handler: { name: 'Orders.bill', options: { retry } as unknown as ResolvedHandlerOptions },
  });
}

/** A failure policy that retries while `retriable`, and records what it settles. */
function policy(retriable = true) {
  const settled: Array<{ error: unknown; stage: FailureStage; attempt: number }> = [];
  const failures = {
    decide: () => ({ action: retriable ? 'retry' : 'recover' }),
    settle: async (ctx: KafkaConsumerContext, error: unknown, stage: FailureStage): Promise<RecordOutcome> => {
      settled.push({ error, stage, attempt: ctx.attempt });
      return { kind: 'dead-lettered', topic: 'orders-dlt', error };
    },
  } as unknown as FailureSettlement;
  return { failures, settled };
}

describe('directInvocation (the default stack as plain code)', () => {
  it('passes payload and context, and a handler that returns resolves to processed', async () => {
    const seen: unknown[] = [];
    const call: HandlerCall = (data, ctx) => seen.push(data, ctx.attempt);
    const ctx = context();
    expect(await directInvocation(call, policy().failures)({ id: 1 }, ctx)).toBe(PROCESSED);
    expect(seen).toEqual([{ id: 1 }, 1]);
  });

  it('retries a failing handler with the next attempt number, and settles nothing when an attempt succeeds', async () => {
    const attempts: number[] = [];
    const { failures, settled } = policy();
    const call: HandlerCall = async (_data, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt < 3) throw new Error('flaky');
    };
    expect(await directInvocation(call, failures)(null, context())).toBe(PROCESSED);
    expect(attempts).toEqual([1, 2, 3]);
    expect(settled).toEqual([]);
  });

  it('settles the last error at the handler stage once the attempts are used up (an erroring observable too)', async () => {
    const { failures, settled } = policy();
    let calls = 0;
    const error = new Error('always');
    const call: HandlerCall = () => (++calls, throwError(() => error));
    const outcome = await directInvocation(call, failures)(null, context());
    expect(outcome).toEqual({ kind: 'dead-lettered', topic: 'orders-dlt', error });
    expect(calls).toBe(3);
    expect(settled).toEqual([{ error, stage: 'handler', attempt: 3 }]);
  });

  it('settles at once what the policy does not retry, and waits for an observable that completes', async () => {
    const { failures, settled } = policy(false);
    let calls = 0;
    const call: HandlerCall = () => {
      calls++;
      throw new Error('non-retriable');
    };
    await directInvocation(call, failures)(null, context());
    expect(calls).toBe(1);
    expect(settled.map((s) => s.attempt)).toEqual([1]);
    expect(await directInvocation(() => of(1, 2), failures)(null, context())).toBe(PROCESSED);
  });

  it('stops retrying when the partition is revoked during the backoff', async () => {
    const { failures, settled } = policy();
    const stop = new AbortController();
    let calls = 0;
    const call: HandlerCall = () => {
      calls++;
      stop.abort();
      throw new Error('fails');
    };
    await directInvocation(call, failures)(null, context(stop.signal));
    expect(calls).toBe(1);
    expect(settled).toHaveLength(1);
  });
});
