import { BaseRpcContext } from '@nestjs/microservices';

/** What both contexts let a handler do with its partition. Internal. */
export interface PartitionControls {
  heartbeat(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Aborted when the partition is revoked, or at shutdown once shutdownTimeoutMs ran out. */
  readonly signal: AbortSignal;
}

/** `[record or records, topic, partition, groupId]`: the arguments of both contexts. */
type PartitionArgs = [unknown, topic: string, partition: number, groupId: string];

/**
 * What a record handler's and a batch handler's contexts share: where the records come from, the
 * attempt number, and the partition controls (heartbeat, pause, resume, signal).
 */
export abstract class KafkaPartitionContext<
  Args extends PartitionArgs,
  Controls extends PartitionControls,
> extends BaseRpcContext<Args> {
  private currentAttempt = 1;

  constructor(
    args: Args,
    protected readonly controls: Controls,
  ) {
    super(args);
  }

  /** Topic the records were read from. */
  get topic(): string {
    return this.args[1];
  }

  /** Partition the records were read from. */
  get partition(): number {
    return this.args[2];
  }

  /** Consumer group processing the records. */
  get groupId(): string {
    return this.args[3];
  }

  /** 1-based number of the current processing attempt (in-process retry). */
  get attempt(): number {
    return this.currentAttempt;
  }

  /** @internal set before each attempt. */
  setAttempt(attempt: number): void {
    this.currentAttempt = attempt;
  }

  /** Sends a group heartbeat now (long handlers stay members of the group without it: fetching is decoupled). */
  heartbeat(): Promise<void> {
    return this.controls.heartbeat();
  }

  /**
   * Aborted when the partition is revoked from this member, or when the consumer shuts down and
   * the handler is still running after `shutdownTimeoutMs`: pass it to long operations so they
   * stop early (the records are then not committed). Shutdown itself does not abort it: a running
   * handler gets until `shutdownTimeoutMs` to finish.
   */
  get signal(): AbortSignal {
    return this.controls.signal;
  }

  /** Stops fetching this partition until `resume()`. */
  pause(): void {
    this.controls.pause();
  }

  /** Resumes fetching this partition. */
  resume(): void {
    this.controls.resume();
  }
}
