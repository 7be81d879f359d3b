import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url).pathname;

function run(script: string, env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [`scripts/kafka/${script}`],
      { cwd: root, env: { ...process.env, KAFKA_BROKERS: '', ...env } },
      (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

/** The scripts' messages for a bad environment: what is wrong and what to do. */
describe('kafka scripts on a bad environment', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-script-test-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it('names the missing java and how to get it', async () => {
    // A PATH with the tools the script uses, but no java.
    const bin = tempDir();
    for (const tool of ['bash', 'sed', 'dirname', 'cat', 'ls', 'wc', 'node', 'mkdir', 'rm', 'head', 'tail']) {
      const found = await new Promise<string>((resolve) =>
        execFile('bash', ['-c', `command -v ${tool}`], (_e, out) => resolve(out.trim())),
      );
      if (found) symlinkSync(found, join(bin, tool));
    }
    const { code, stderr } = await run('start.sh', { PATH: bin, KAFKA_DATA_DIR: tempDir() });
    expect(code).not.toBe(0);
    expect(stderr).toContain('java not found on PATH');
    expect(stderr).toContain('Java 17+');
  });

  it('refuses a port held by something that is not Kafka', async () => {
    const server = createServer((socket) => {
      // Probes hang up abruptly; a reset is expected here, not an error of the test.
      socket.on('error', () => undefined);
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    const port = await listen(server);
    cleanups.push(() => server.close());
    const { code, stderr } = await run('start.sh', { KAFKA_SINGLE_PORT: String(port), KAFKA_DATA_DIR: tempDir() });
    expect(code).not.toBe(0);
    expect(stderr).toContain(`port ${port} is in use by something that is not a Kafka broker`);
  });

  it('reports a broker that never gets ready, with the tail of its log', async () => {
    const probe = createServer();
    const port = await listen(probe);
    await new Promise((resolve) => probe.close(resolve));
    const dataDir = tempDir();
    mkdirSync(dataDir, { recursive: true });
    // A heap far too small: the JVM exits at once and the broker never answers.
    const { code, stderr } = await run('start.sh', {
      KAFKA_SINGLE_PORT: String(port),
      KAFKA_DATA_DIR: dataDir,
      KAFKA_HEAP: '-Xmx1m -Xms1m',
      KAFKA_READY_TIMEOUT_S: '3',
    });
    expect(code).not.toBe(0);
    expect(stderr).toContain(`Kafka at 127.0.0.1:${port} was not ready after 3s`);
    expect(stderr).toContain('last lines of');
    expect(stderr.toLowerCase()).toContain('heap');
  });
});
