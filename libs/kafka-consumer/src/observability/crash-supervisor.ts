import type { LoggerService } from '@nestjs/common';
import { consumerCrashed, consumerRestarting } from '../kafka-consumer.messages.js';
import { backoffDelay, type ResolvedBackoff } from '../util/backoff.js';
import type { CrashDecision } from './group-monitor.js';

/** The resolved `onCrash` module option. */
export interface ResolvedCrashPolicy {
  readonly action: 'restart' | 'exit';
  /** Wait before restart `n` after `n` crashes in a row. */
  readonly backoff: ResolvedBackoff;
  /** Crashes in a row (no successful join between them) after which the process exits. */
  readonly maxRestarts: number;
}

export interface CrashSupervisorDeps {
  /** Runs the group's consumer again (connect, subscribe, join). */
  restart(groupId: string): Promise<void>;
  /** A restart attempt failed before kafkajs reported a crash of its own. */
  restartFailed(groupId: string, error: unknown): void;
  /** Ends the process non-zero, after leaving the groups as cleanly as time allows. */
  exit(groupId: string, error: unknown): void;
  readonly logger: LoggerService;
}

/**
 * Carries out the crash policy: a consumer that stopped on an error either restarts with
 * backoff or ends the process non-zero (so an orchestrator restarts it); never a live process
 * whose group silently consumes nothing. kafkajs restarts by itself after a retriable error:
 * those crashes only count towards `maxRestarts`.
 */
export class CrashSupervisor {
  private readonly crashes = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly policy: ResolvedCrashPolicy,
    private readonly deps: CrashSupervisorDeps,
  ) {}

  /** Decides what follows a crash of `groupId`; `kafkajsRestarts`: kafkajs rejoins by itself. */
  crashed(groupId: string, error: unknown, kafkajsRestarts: boolean): CrashDecision {
    const { policy, deps } = this;
    if (this.closed) return { action: 'restart' };
    const crashes = (this.crashes.get(groupId) ?? 0) + 1;
    this.crashes.set(groupId, crashes);
    if (policy.action === 'exit' || crashes > policy.maxRestarts) {
      deps.logger.error(`${consumerCrashed(groupId, error)}; onCrash: the process exits with code 1`);
      this.closed = true;
      deps.exit(groupId, error);
      return { action: 'exit' };
    }
    if (kafkajsRestarts) {
      deps.logger.warn(consumerRestarting(groupId, error));
      return { action: 'restart' };
    }
    const restartInMs = backoffDelay(policy.backoff, crashes);
    deps.logger.error(`${consumerCrashed(groupId, error)}; onCrash: restarting it in ${restartInMs} ms`);
    clearTimeout(this.timers.get(groupId));
    const timer = setTimeout(() => {
      this.timers.delete(groupId);
      if (this.closed) return;
      deps.restart(groupId).catch((restartError: unknown) => deps.restartFailed(groupId, restartError));
    }, restartInMs);
    this.timers.set(groupId, timer);
    return { action: 'restart', restartInMs };
  }

  /** The group joined: its crash count starts again. */
  joined(groupId: string): void {
    this.crashes.delete(groupId);
  }

  /** Shutdown: no restart starts any more. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
