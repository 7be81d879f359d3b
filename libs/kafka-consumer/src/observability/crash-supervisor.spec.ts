import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_CRASH_BACKOFF } from '../options/observability.options.js';
import { CrashSupervisor, type ResolvedCrashPolicy } from './crash-supervisor.js';

function setup(policy: Partial<ResolvedCrashPolicy>) {
  const deps = {
    restart: vi.fn(async () => undefined),
    restartFailed: vi.fn(),
    exit: vi.fn(),
    logger: { log: vi.fn(), warn: vi.fn(), error: vi.fn() },
  };
  const full = { action: 'restart' as const, backoff: DEFAULT_CRASH_BACKOFF, maxRestarts: Infinity, ...policy };
  return { deps, supervisor: new CrashSupervisor(full, deps) };
}

describe('CrashSupervisor', () => {
  afterEach(() => vi.useRealTimers());

  it("'restart' restarts the group after a backoff that grows with crashes in a row and resets at a join", async () => {
    vi.useFakeTimers();
    const { deps, supervisor } = setup({});
    expect(supervisor.crashed('g', new Error('x'), false)).toEqual({ action: 'restart', restartInMs: 1000 });
    await vi.advanceTimersByTimeAsync(999);
    expect(deps.restart).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(deps.restart).toHaveBeenCalledWith('g');
    expect(supervisor.crashed('g', new Error('x'), false).restartInMs).toBe(2000);
    supervisor.joined('g');
    expect(supervisor.crashed('g', new Error('x'), false).restartInMs).toBe(1000);
    expect(deps.exit).not.toHaveBeenCalled();
    supervisor.close();
  });

  it('leaves a crash kafkajs restarts from to kafkajs', () => {
    const { deps, supervisor } = setup({});
    expect(supervisor.crashed('g', new Error('x'), true)).toEqual({ action: 'restart' });
    expect(deps.logger.warn).toHaveBeenCalledOnce();
  });

  it("'exit' exits at the first crash", () => {
    const { deps, supervisor } = setup({ action: 'exit' });
    expect(supervisor.crashed('g', new Error('x'), true)).toEqual({ action: 'exit' });
    expect(deps.exit).toHaveBeenCalledWith('g', expect.any(Error));
    expect(deps.logger.error.mock.calls[0][0]).toMatch(/exits with code 1/);
  });

  it('exits once maxRestarts crashes in a row were not enough', () => {
    const { deps, supervisor } = setup({ maxRestarts: 1 });
    expect(supervisor.crashed('g', new Error('x'), true).action).toBe('restart');
    expect(supervisor.crashed('g', new Error('x'), true).action).toBe('exit');
    expect(deps.exit).toHaveBeenCalledOnce();
  });

  it('reports a restart that fails', async () => {
    vi.useFakeTimers();
    const { deps, supervisor } = setup({});
    deps.restart.mockRejectedValueOnce(new Error('unreachable'));
    supervisor.crashed('g', new Error('x'), false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(deps.restartFailed).toHaveBeenCalledWith('g', expect.objectContaining({ message: 'unreachable' }));
  });
});
