import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { warmUpBroker } from './broker-warmup.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pidFile = `${root}.kafka/single/node-1/pid`;

function brokerRunning(): boolean {
  if (!existsSync(pidFile)) return false;
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the project's single-node Kafka unless KAFKA_BROKERS points at a cluster, and stops it
 * afterwards when this run started it (a broker that was already running is left running).
 */
/**
 * Child-process tests run the library from TypeScript source through test/support/child-app's
 * loader, which caches transpiled files: fill that cache once here, so children started together
 * on a fresh clone do not each transpile the whole library.
 */
function warmChildAppCache(): void {
  execFileSync(
    process.execPath,
    [
      '--import',
      './test/support/child-app/register.mjs',
      '--input-type=module',
      '-e',
      "await import('nestjs-kafka-consumer'); await import('./test/support/child-app/protocol.ts');",
    ],
    { cwd: root, stdio: 'inherit' },
  );
}

export default async function setup(): Promise<() => void> {
  warmChildAppCache();
  if (process.env.KAFKA_BROKERS) {
    // Tests that start, stop or restart brokers of their own skip against an external cluster.
    process.env.KAFKA_EXTERNAL = '1';
    execFileSync('bash', ['scripts/kafka/start.sh'], { cwd: root, stdio: 'inherit' });
    await warmUpBroker(process.env.KAFKA_BROKERS.split(','));
    return () => undefined;
  }
  const wasRunning = brokerRunning();
  execFileSync('bash', ['scripts/kafka/start.sh'], { cwd: root, stdio: 'inherit' });
  process.env.KAFKA_BROKERS = '127.0.0.1:9092';
  const stop = () => {
    if (!wasRunning) execFileSync('bash', ['scripts/kafka/stop.sh'], { cwd: root, stdio: 'inherit' });
  };
  try {
    await warmUpBroker(['127.0.0.1:9092']);
  } catch (error) {
    stop();
    throw error;
  }
  return stop;
}
