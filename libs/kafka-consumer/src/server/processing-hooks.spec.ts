import { describe, expect, it } from 'vitest';
import type { Server } from '@nestjs/microservices';
import type { KafkaConsumerContext } from '../context/kafka-consumer.context.js';
import { processingHooksOf } from './processing-hooks.js';

const ctx = {} as KafkaConsumerContext;

/** A server as @nestjs/microservices < 12.1 builds it: hooks, no runWithProcessingHooks. */
function legacyServer(events: string[]) {
  return {
    transportId: 'kafka-consumer',
    onProcessingStartHook: async (transportId: unknown, _context: unknown, done: () => Promise<unknown>) => {
      events.push(`start:${String(transportId)}`);
      await done();
    },
    onProcessingEndHook: (transportId: unknown) => events.push(`end:${String(transportId)}`),
  } as unknown as Server;
}

describe('processingHooksOf', () => {
  it('uses Server#runWithProcessingHooks when the installed Nest has it', async () => {
    const calls: unknown[] = [];
    const server = {
      runWithProcessingHooks(this: unknown, context: unknown, fn: (end: () => void) => Promise<void>) {
        calls.push(this, context);
        return fn(() => calls.push('end'));
      },
    } as unknown as Server;
    await processingHooksOf(server)(ctx, async (end) => end());
    expect(calls).toEqual([server, ctx, 'end']);
  });

  it('wraps the handler in the start hook and runs the end hook once on older Nest versions', async () => {
    const events: string[] = [];
    await processingHooksOf(legacyServer(events))(ctx, async (end) => {
      events.push('handler');
      end();
      end();
    });
    expect(events).toEqual(['start:kafka-consumer', 'handler', 'end:kafka-consumer']);
  });

  it('runs the end hook and rethrows when the handler fails on older Nest versions', async () => {
    const events: string[] = [];
    const failure = new Error('boom');
    const run = processingHooksOf(legacyServer(events))(ctx, async () => {
      throw failure;
    });
    await expect(run).rejects.toBe(failure);
    expect(events).toEqual(['start:kafka-consumer', 'end:kafka-consumer']);
  });

  it('runs the handler directly when a server has no hooks at all', async () => {
    let ran = false;
    await processingHooksOf({} as Server)(ctx, async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });
});
