import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname, uptime } from 'node:os';

/**
 * Who holds an offset file's lock. A pid alone names a process only on one host since one boot,
 * and two containers are often both PID 1: the host and the boot tell whether the pid can be
 * checked at all, the instance tells this process from an earlier one that had the same pid.
 */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly boot: string;
  /** Random per process. */
  readonly instance: string;
}

/** A holder on another host refreshes its lock this often... */
export const LOCK_REFRESH_MS = 10_000;
/** ...so a lock of another host left untouched this long belongs to a process that is gone. */
export const LOCK_STALE_MS = 60_000;

const INSTANCE = randomUUID();

/** This process as a lock owner. */
export function currentOwner(): LockOwner {
  return { pid: process.pid, host: hostname(), boot: bootId(), instance: INSTANCE };
}

/** The kernel's boot id (Linux), else the boot time to the minute. */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return `boot@${Math.round((Date.now() - uptime() * 1000) / 60_000)}`;
  }
}

/** The lock file's content for `owner`. */
export function formatLock(owner: LockOwner): string {
  return JSON.stringify(owner);
}

/** A lock's owner; a lock written by an older version holds only a pid. Null when unreadable. */
export function parseLock(content: string): LockOwner | { readonly pid: number } | null {
  const text = content.trim();
  if (/^\d+$/.test(text)) return { pid: Number(text) };
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    if (
      Number.isInteger(owner.pid) &&
      typeof owner.host === 'string' &&
      typeof owner.boot === 'string' &&
      typeof owner.instance === 'string'
    ) {
      return owner as LockOwner;
    }
  } catch {
    // Not JSON: a torn or foreign file.
  }
  return null;
}

/** What `connect()` does about an existing lock. */
export type LockDecision =
  { readonly takeOver: true } | { readonly takeOver: false; readonly pid: number; readonly host?: string };

/**
 * Whether an existing lock may be taken over:
 * - unreadable, or written by this very process: yes;
 * - another host: only once it is older than `LOCK_STALE_MS` (its holder refreshes it);
 * - this host since another boot: yes, every process of that boot is gone;
 * - this host and boot: the pid says it; our own pid there means a process that had it before us
 *   (a container restarted as PID 1), so it is gone.
 */
export function decideLock(
  holder: LockOwner | { readonly pid: number } | null,
  self: LockOwner,
  lockAgeMs: number,
  isAlive: (pid: number) => boolean,
): LockDecision {
  const takeOver = { takeOver: true } as const;
  if (holder === null || !Number.isInteger(holder.pid) || holder.pid <= 0) return takeOver;
  if (!('host' in holder)) {
    return holder.pid !== self.pid && isAlive(holder.pid) ? { takeOver: false, pid: holder.pid } : takeOver;
  }
  if (holder.instance === self.instance) return takeOver;
  if (holder.host !== self.host) {
    return lockAgeMs > LOCK_STALE_MS ? takeOver : { takeOver: false, pid: holder.pid, host: holder.host };
  }
  if (holder.boot !== self.boot) return takeOver;
  if (holder.pid === self.pid) return takeOver;
  return isAlive(holder.pid) ? { takeOver: false, pid: holder.pid } : takeOver;
}
