/**
 * A dead-letter replay run in its own process, for the test that kills one midway:
 * `node --import ../child-app/register.mjs replay-child.ts`. Replays REPLAY_TOPIC ten records per
 * transaction; before the commit of the transaction that would pass REPLAY_KILL_AFTER records it
 * prints `PENDING <replayed so far>` and waits to be killed (its transaction stays open).
 *
 *   KAFKA_BROKERS, REPLAY_TOPIC, REPLAY_KILL_AFTER
 */
import { Kafka, logLevel } from 'kafkajs';
import { DeadLetterReplay } from '../../../libs/kafka-consumer/src/dead-letter/dead-letter.replay.js';

const env = process.env;
const kafka = new Kafka({
  clientId: 'replay-child',
  brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  logLevel: logLevel.NOTHING,
});
const killAfter = Number(env.REPLAY_KILL_AFTER);

const replay = new DeadLetterReplay(kafka, {
  recordsPerTransaction: 10,
  beforeCommit: async (pending, replayedSoFar) => {
    if (replayedSoFar + pending <= killAfter) return;
    process.stdout.write(`PENDING ${replayedSoFar}\n`);
    await new Promise(() => undefined);
  },
});
const result = await replay.run({ topic: env.REPLAY_TOPIC! });
process.stdout.write(`DONE ${JSON.stringify(result)}\n`);
