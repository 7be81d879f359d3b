import { describe, expect, it } from 'vitest';
import { ConsumerEventBus } from './consumer-event-bus.js';

describe('ConsumerEventBus', () => {
  it('calls listeners of an event until they are removed, and reports whether anyone listens', () => {
    const bus = new ConsumerEventBus(() => undefined);
    const seen: string[] = [];
    expect(bus.listening('rebalancing')).toBe(false);
    const off = bus.on('rebalancing', ({ groupId }) => void seen.push(groupId));
    expect(bus.listening('rebalancing')).toBe(true);
    bus.emit('rebalancing', { groupId: 'a' });
    bus.emit('disconnected', { groupId: 'b' });
    off();
    bus.emit('rebalancing', { groupId: 'c' });
    expect(seen).toEqual(['a']);
    expect(bus.listening('rebalancing')).toBe(false);
  });

  it('logs a listener that throws or rejects and still calls the others', async () => {
    const errors: string[] = [];
    const bus = new ConsumerEventBus((message) => errors.push(message));
    let called = 0;
    bus.on('disconnected', () => {
      throw new Error('sync');
    });
    bus.on('disconnected', () => Promise.reject(new Error('async')));
    bus.on('disconnected', () => void called++);
    bus.emit('disconnected', { groupId: 'g' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(called).toBe(1);
    expect(errors).toEqual([
      'A listener of the consumer event "disconnected" failed: Error: sync',
      'A listener of the consumer event "disconnected" failed: Error: async',
    ]);
  });

  it('rejects an unknown event name, listing the known ones', () => {
    const bus = new ConsumerEventBus(() => undefined);
    expect(() => bus.on('partition.assigned' as never, () => undefined)).toThrow(/'partitions.assigned'/);
  });
});
