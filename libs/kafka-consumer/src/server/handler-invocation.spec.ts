import { Server, type MessageHandler } from '@nestjs/microservices';
import type { KafkaMessage } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import type { ResolvedHandlerOptions } from '../kafka-consumer.options.js';
import type { FailureStage } from '../retry/failure-policy.js';
import type { RecordOutcome } from '../retry/record-outcome.js';
import { invokeHandler, type FailureSettler } from './handler-invocation.js';

/** Nest's own `Server#runWithProcessingHooks`, with a start hook set by the test. */
class HookedServer extends Server {
  listen() {}
  close() {}
  on(): never {
    throw new Error('no events');
  }
  unwrap<T>(): T {
    return undefined as T;
  }
  hooks(ctx: KafkaConsumerContext, fn: (runEndHook: () => void) => Promise<void>): unknown {
    return this.runWithProcessingHooks(ctx, fn);
  }
}

const message = {
  key: null,
  value: null,
  headers: {},
  offset: '7',
  timestamp: '0',
  attributes: 0,
} as unknown as KafkaMessage;

function context(): KafkaConsumerContext {
  return new KafkaConsumerContext([message, 'orders', 0, 'billing'], {
    commit: async () => undefined,
    heartbeat: async () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    signal: new AbortController().signal,
    handler: { name: 'Orders.bill', options: {} as ResolvedHandlerOptions },
  });
}

/** One macrotask turn: a stray rejection has reached the unhandledRejection event by then. */
const settleEventLoop = () => new Promise((resolve) => setImmediate(resolve));

describe('invokeHandler', () => {
  let server: HookedServer;
  let settled: Array<{ error: unknown; stage: FailureStage }>;
  let settle: FailureSettler;
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeEach(() => {
    server = new HookedServer();
    settled = [];
    settle = async (_ctx, error, stage) => {
      settled.push({ error, stage });
      return { kind: 'redeliver', reason: 'exhausted', error };
    };
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
    vi.restoreAllMocks();
  });

  const run = (callback: MessageHandler, ctx = context()) =>
    invokeHandler(callback, { id: 1 }, ctx, (c, fn) => server.hooks(c, fn), settle);

  it('resolves processed when the handler succeeds, observable or not', async () => {
    expect(await run(async () => 'ok')).toEqual({ kind: 'processed' });
    const { of } = await import('rxjs');
    expect(await run(async () => of(1, 2))).toEqual({ kind: 'processed' });
    expect(settled).toEqual([]);
  });

  it('R3: a processing start hook that returns nothing never turns a failure into an unhandled rejection', async () => {
    const ended = vi.fn();
    server.setOnProcessingStartHook((_transport, _ctx, done) => {
      void done();
    });
    server.setOnProcessingEndHook(ended);
    const failure = new Error('payment provider timeout');
    const outcome = await run(async () => {
      throw failure;
    });
    await settleEventLoop();
    expect(unhandled).toEqual([]);
    expect(outcome).toEqual({ kind: 'redeliver', reason: 'exhausted', error: failure });
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it('a start hook that fails without running the handler fails the record', async () => {
    const broken = new Error('tracer down');
    server.setOnProcessingStartHook(async () => {
      throw broken;
    });
    const handler = vi.fn();
    const outcome = await run(handler);
    expect(handler).not.toHaveBeenCalled();
    expect(outcome.kind).toBe('redeliver');
    expect(settled).toEqual([{ error: broken, stage: 'pipeline' }]);
  });

  it('L5: a final failure the interceptors recorded stands even when an outer layer swallowed the error', async () => {
    const ctx = context();
    const recorded: RecordOutcome = { kind: 'redeliver', reason: 'recovery-failed', error: new Error('DLT gone') };
    const outcome = await run(async () => {
      ctx.outcomeSlot.entered = true;
      ctx.outcomeSlot.outcome = recorded;
      return null; // what catchError(() => of(null)) or a catch-all filter leaves
    }, ctx);
    expect(outcome).toBe(recorded);
    expect(settled).toEqual([]);
  });

  it('a fenced record stays fenced whatever an outer layer did', async () => {
    const ctx = context();
    const recorded: RecordOutcome = { kind: 'fenced', error: new Error('stale') };
    expect(
      await run(async () => {
        ctx.outcomeSlot.outcome = recorded;
      }, ctx),
    ).toBe(recorded);
  });

  it('a handler error that an outer exception filter handled settles the record', async () => {
    const ctx = context();
    const outcome = await run(async () => {
      ctx.outcomeSlot.entered = true;
      ctx.outcomeSlot.outcome = { kind: 'redeliver', reason: 'exhausted', error: new Error('out of stock') };
      return undefined;
    }, ctx);
    expect(outcome).toEqual({ kind: 'processed' });
  });

  it('returns what the interceptors decided when the error went on to reject the pipeline', async () => {
    const ctx = context();
    const recorded: RecordOutcome = { kind: 'redeliver', reason: 'exhausted', error: new Error('timeout') };
    const outcome = await run(async () => {
      ctx.outcomeSlot.entered = true;
      ctx.outcomeSlot.outcome = recorded;
      throw { status: 'error', message: 'Internal server error' };
    }, ctx);
    expect(outcome).toBe(recorded);
    expect(settled).toEqual([]);
  });

  it("settles a guard's refusal (Nest's Forbidden resource, interceptors never reached) as a refusal", async () => {
    await run(async () => {
      throw { status: 'error', message: 'Forbidden resource' };
    });
    expect(settled).toEqual([{ error: { status: 'error', message: 'Forbidden resource' }, stage: 'refusal' }]);
  });

  it('settles any other failure before the interceptors (a guard or outer interceptor that threw) as a pipeline failure', async () => {
    await run(async () => {
      throw { status: 'error', message: 'Internal server error' };
    });
    expect(settled.map((s) => s.stage)).toEqual(['pipeline']);
  });
});
