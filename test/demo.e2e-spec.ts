import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { brokers } from './support/kafka.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs a command in the repository; resolves with its exit code and output (killed after `timeoutMs`). */
function run(command: string, args: string[], env: Record<string, string>, timeoutMs: number) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run demo (smoke test of the sample app)', () => {
  it('builds the sample app, runs it against the broker and reports every group processed and committed everything', async () => {
    const build = await run('npm', ['run', 'build'], {}, 240_000);
    expect(build.code, build.stderr || build.stdout).toBe(0);

    const demo = await run(
      'node',
      ['scripts/demo.mjs'],
      { KAFKA_BROKERS: brokers().join(','), DEMO_ORDERS: '60', DEMO_PAYMENTS: '20', DEMO_TIMEOUT_MS: '90000' },
      150_000,
    );
    expect(demo.code, `${demo.stdout}\n${demo.stderr}`).toBe(0);
    const out = demo.stdout;
    expect(out).toContain('produced 60 orders');
    expect(out).toContain('result   OK: every group processed every record once and committed the log end');
    // The one invalid order is dead-lettered once per group on the orders topic (billing, analytics,
    // shipping), with the validation details.
    const deadLetters = out
      .split('\n')
      .filter((line) => /from p\d+@\d+ NonRetriableError: invalid payload: .*must be/.test(line));
    expect(deadLetters).toHaveLength(3);
    expect(deadLetters.some((line) => line.includes('.orders-service.shipping '))).toBe(true);

    // Retry topics: order-10 ... order-60 fail once at the carrier, wait in -retry-200 and ship there.
    expect(out).toMatch(/shipping {3}60 orders shipped, 6 carrier outages, 6 shipped on retry/);
    expect(out).toMatch(/\.orders-retry-200 +6 forwarded, all committed/);
    expect(out).toMatch(/\.orders-retry-1000 +0 forwarded, all committed/);

    // Exactly-once journal in PostgreSQL: one row per payment, offsets stored in the same table's
    // transaction (read back from PostgreSQL, at the log end of both partitions).
    expect(out).toMatch(/accounting 20 journal entries/);
    expect(out).toMatch(/20 rows for \S+\.payments \(20 distinct payments\)/);
    expect(out).toMatch(/\.orders-service\.accounting +payments +p0 (\d+)\/\1 +p1 (\d+)\/\2 \(PostgreSQL\)/);

    // The nightly export (polling consumer): everything once, then nothing new on the second run.
    expect(out).toMatch(/run 1 {4}exported 60 orders \([\d.]+ EUR\), skipped 1, 60 CSV lines/);
    expect(out).toMatch(/run 2 {4}exported 0 orders/);
    // Operations over HTTP while the app runs: terminus health and the prom-client registry.
    expect(out).toContain('GET /health -> 200 {"status":"ok"}');
    expect(out).toMatch(/\.orders-service\.billing +\{"status":"connected"/);
    expect(out).toMatch(
      /kafka_consumer_records_processed_total\{group="\S+\.orders-service\.billing",topic="\S+\.orders"\} 60/,
    );
    expect(out).toMatch(
      /kafka_consumer_records_dead_lettered_total\{group="\S+\.orders-service\.shipping",topic="\S+\.orders"\} 1/,
    );
    // Every group joined at least once, logged by the app's @OnConsumerEvent listener.
    const joins = Number(/@OnConsumerEvent lifecycle log: (\d+) group joins/.exec(out)?.[1]);
    expect(joins).toBeGreaterThanOrEqual(5);
    expect(demo.stdout).not.toContain('check failed');
  }, 420_000);
});
