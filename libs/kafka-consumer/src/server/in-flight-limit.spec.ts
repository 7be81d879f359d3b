import { describe, expect, it } from 'vitest';
import { InFlightLimit } from './in-flight-limit.js';

describe('InFlightLimit', () => {
  it('wakes one waiting partition per released slot, in the order they waited', () => {
    const limit = new InFlightLimit(1);
    expect(limit.tryAcquire()).toBe(true);
    const woken: string[] = [];
    limit.whenFree(() => woken.push('a'));
    limit.whenFree(() => woken.push('b'));
    limit.release();
    expect(woken).toEqual(['a']);
    // 'a' took no slot: it passes the turn on.
    limit.wakeNext();
    expect(woken).toEqual(['a', 'b']);
    limit.wakeNext();
    expect(woken).toEqual(['a', 'b']);
  });

  it('hands out at most max slots and wakes waiters once a slot is released', () => {
    const limit = new InFlightLimit(2);
    expect(limit.tryAcquire()).toBe(true);
    expect(limit.tryAcquire()).toBe(true);
    expect(limit.tryAcquire()).toBe(false);
    let woken = 0;
    const onFree = () => woken++;
    limit.whenFree(onFree);
    limit.whenFree(onFree);
    limit.release();
    expect(woken).toBe(1);
    expect(limit.inFlight).toBe(1);
    limit.release();
    expect(woken).toBe(1);
    expect(limit.inFlight).toBe(0);
    limit.whenFree(onFree);
    limit.cancel(onFree);
    expect(limit.tryAcquire()).toBe(true);
    limit.release();
    expect(woken).toBe(1);
  });
});
