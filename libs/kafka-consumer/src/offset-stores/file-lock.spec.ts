import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OffsetStoreUnavailableError } from '../errors/offset-store-unavailable.error.js';
import { currentOwner, decideLock, formatLock, LOCK_STALE_MS, parseLock, type LockOwner } from './file-lock.js';
import { FileOffsetStore } from './file.offset-store.js';

const self: LockOwner = { pid: 1, host: 'container-a', boot: 'boot-1', instance: 'me' };
const alive = () => true;
const dead = () => false;

describe('decideLock', () => {
  it('refuses a lock of another host with the same pid (two containers, both PID 1)', () => {
    const other = { pid: 1, host: 'container-b', boot: 'boot-1', instance: 'other' };
    expect(decideLock(other, self, 1000, dead)).toEqual({ takeOver: false, pid: 1, host: 'container-b' });
  });

  it('takes over a lock of another host that was not refreshed for the stale time', () => {
    const other = { pid: 7, host: 'container-b', boot: 'boot-1', instance: 'other' };
    expect(decideLock(other, self, LOCK_STALE_MS + 1, alive)).toEqual({ takeOver: true });
  });

  it('takes over a lock of an earlier process with our pid on this host (a container restarted as PID 1)', () => {
    const earlier = { pid: 1, host: 'container-a', boot: 'boot-1', instance: 'before-restart' };
    expect(decideLock(earlier, self, 1000, alive)).toEqual({ takeOver: true });
  });

  it('takes over a lock of this host from before a reboot, even if that pid is alive now', () => {
    const beforeReboot = { pid: 42, host: 'container-a', boot: 'boot-0', instance: 'old' };
    expect(decideLock(beforeReboot, self, 1000, alive)).toEqual({ takeOver: true });
  });

  it('on this host and boot, follows the pid', () => {
    const other = { pid: 42, host: 'container-a', boot: 'boot-1', instance: 'other' };
    expect(decideLock(other, self, 1000, alive)).toEqual({ takeOver: false, pid: 42 });
    expect(decideLock(other, self, 1000, dead)).toEqual({ takeOver: true });
  });

  it('takes over its own lock and an unreadable one', () => {
    expect(decideLock({ ...self }, self, 0, alive)).toEqual({ takeOver: true });
    expect(decideLock(null, self, 0, alive)).toEqual({ takeOver: true });
  });

  it('reads a pid-only lock of an older version as before', () => {
    expect(decideLock(parseLock('42\n'), self, 0, alive)).toEqual({ takeOver: false, pid: 42 });
    expect(decideLock(parseLock('42'), self, 0, dead)).toEqual({ takeOver: true });
  });

  it('round-trips the lock content', () => {
    const owner = currentOwner();
    expect(parseLock(formatLock(owner))).toEqual(owner);
    expect(owner.pid).toBe(process.pid);
    expect(parseLock('{"pid":"x"}')).toBeNull();
    expect(parseLock('')).toBeNull();
  });
});

describe('FileOffsetStore lock', () => {
  let directory: string | undefined;
  afterEach(() => {
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  function storeWithLock(lock: string, ageMs = 0) {
    directory = mkdtempSync(join(tmpdir(), 'kc-lock-'));
    const path = join(directory, 'offsets.json');
    writeFileSync(`${path}.lock`, lock);
    const modified = new Date(Date.now() - ageMs);
    utimesSync(`${path}.lock`, modified, modified);
    return { path, store: new FileOffsetStore({ path }) };
  }

  it('fails when the lock holds our pid but another host (two containers, both PID 1)', async () => {
    const me = currentOwner();
    const { store } = storeWithLock(formatLock({ ...me, host: `${me.host}-other`, instance: 'other' }));
    const error = await store.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffsetStoreUnavailableError);
    expect((error as Error).message).toContain(
      `is used by another process (pid ${process.pid} on host "${me.host}-other"`,
    );
  });

  it('takes over a lock of another host left unrefreshed, and writes its own identity', async () => {
    const me = currentOwner();
    const { path, store } = storeWithLock(
      formatLock({ ...me, host: `${me.host}-other`, instance: 'other' }),
      LOCK_STALE_MS + 5000,
    );
    await store.connect();
    expect(parseLock(readFileSync(`${path}.lock`, 'utf8'))).toEqual(me);
    await store.disconnect();
  });

  it('takes over a lock of an earlier process with our pid on this host', async () => {
    const me = currentOwner();
    const { store } = storeWithLock(formatLock({ ...me, instance: 'before-restart' }));
    await store.connect();
    await store.disconnect();
  });
});
