import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

/** A single-node broker of the test's own, started by scripts/kafka/start.sh on free ports. */
export interface PrivateBroker {
  /** Its PLAINTEXT listener (admin and producing in tests). */
  readonly plaintext: string;
  /** Its `--security` listener (port + 2). */
  readonly secured: string;
  /** Its data folder: `single/tls/ca.pem` holds the CA of a TLS broker. */
  readonly dataDir: string;
  /** Milliseconds start.sh took (from nothing to ready). */
  readonly startMs: number;
  stop(): Promise<void>;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port whose next two ports are free too (controller, secured listener). */
async function freePortTriple(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    if ((await portFree(port)) && (await portFree(port + 1)) && (await portFree(port + 2))) return port;
  }
}

/** Runs a script of scripts/kafka with `env` (never against KAFKA_BROKERS). */
export function kafkaScript(script: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [`scripts/kafka/${script}`, ...args],
      { cwd: root, env: { ...process.env, KAFKA_BROKERS: '', ...env } },
      (error, _out, stderr) => (error ? reject(new Error(`${script} failed: ${stderr}`)) : resolve()),
    );
  });
}

/**
 * Starts a private single-node broker with `start.sh --security <security>` in a fresh data folder;
 * stop() stops it and removes the folder. A failed start stops and cleans up before rethrowing.
 */
export async function startPrivateBroker(
  security: 'sasl' | 'tls',
  extraEnv: Record<string, string> = {},
): Promise<PrivateBroker> {
  const port = await freePortTriple();
  const dataDir = mkdtempSync(join(tmpdir(), `kafka-${security}-test-`));
  const env = { KAFKA_SINGLE_PORT: String(port), KAFKA_DATA_DIR: dataDir, ...extraEnv };
  const stop = async () => {
    await kafkaScript('stop.sh', [], env).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const started = Date.now();
  try {
    await kafkaScript('start.sh', ['--security', security], env);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    plaintext: `127.0.0.1:${port}`,
    secured: `127.0.0.1:${port + 2}`,
    dataDir,
    startMs: Date.now() - started,
    stop,
  };
}
