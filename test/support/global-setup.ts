import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
export default function setup(): () => void {
  if (process.env.KAFKA_BROKERS) {
    execFileSync('bash', ['scripts/kafka/start.sh'], { cwd: root, stdio: 'inherit' });
    return () => undefined;
  }
  const wasRunning = brokerRunning();
  execFileSync('bash', ['scripts/kafka/start.sh'], { cwd: root, stdio: 'inherit' });
  process.env.KAFKA_BROKERS = '127.0.0.1:9092';
  return () => {
    if (!wasRunning) execFileSync('bash', ['scripts/kafka/stop.sh'], { cwd: root, stdio: 'inherit' });
  };
}
