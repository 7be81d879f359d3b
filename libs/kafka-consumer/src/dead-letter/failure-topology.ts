import type { Admin } from 'kafkajs';
import { TopicTopologyError } from '../errors/topic-topology.error.js';
import {
  failureTopicMessageLimit,
  failureTopicMissing,
  failureTopicTooSmall,
  failureTopicUnderReplicated,
  type FailureTopicKind,
} from '../kafka-consumer.messages.js';
import type { ResolvedHandlerOptions } from '../kafka-consumer.options.js';
import { retryTopicNames } from '../retry-topics/retry-topics.js';
import { isDeadLetterTopic } from './failure-route.js';
import { describeTopics, failureTopicCreation, type TopicSettings } from './failure-topic-settings.js';

/** A dead-letter or retry topic some handler writes to. */
export interface FailureTopicRequirement {
  readonly topic: string;
  readonly kind: FailureTopicKind;
  /** The handler's topic: the failure topic needs at least its partitions, replication factor and max.message.bytes. */
  readonly sourceTopic: string;
  /** Create it at startup when missing. */
  readonly create: boolean;
  /** `Class.method`, for messages. */
  readonly handler: string;
}

export interface FailureTopicsPlan {
  readonly requirements: FailureTopicRequirement[];
  /** Every dead-letter topic written to by this app: records read from them are never dead-lettered again. */
  readonly deadLetterTopics: ReadonlySet<string>;
}

interface PlannedHandlerLike {
  readonly topic: string;
  readonly name: string;
  readonly options: Pick<ResolvedHandlerOptions, 'deadLetter' | 'retryTopics'>;
}

/** The dead-letter and retry topics the handlers write to. Pure. */
export function planFailureTopics(handlers: Iterable<PlannedHandlerLike>): FailureTopicsPlan {
  const all = [...handlers];
  const deadLetterTopics = new Set<string>();
  for (const { topic, options } of all) {
    if (options.deadLetter && !isDeadLetterTopic(topic, options.deadLetter)) {
      deadLetterTopics.add(options.deadLetter.topic(topic));
    }
  }
  const byTopic = new Map<string, FailureTopicRequirement>();
  const add = (requirement: FailureTopicRequirement) => {
    const existing = byTopic.get(requirement.topic);
    byTopic.set(
      requirement.topic,
      existing ? { ...existing, create: existing.create || requirement.create } : requirement,
    );
  };
  for (const { topic, name, options } of all) {
    if (isDeadLetterTopic(topic, options.deadLetter, deadLetterTopics)) continue;
    const { deadLetter, retryTopics } = options;
    if (deadLetter) {
      add({
        topic: deadLetter.topic(topic),
        kind: 'dead-letter',
        sourceTopic: topic,
        create: deadLetter.createTopics,
        handler: name,
      });
    }
    for (const retryTopic of retryTopics ? retryTopicNames(topic, retryTopics.delaysMs) : []) {
      add({ topic: retryTopic, kind: 'retry', sourceTopic: topic, create: retryTopics!.createTopics, handler: name });
    }
  }
  return { requirements: [...byTopic.values()], deadLetterTopics };
}

/**
 * Checks that every failure topic exists with at least its source's partition count, replication
 * factor and `max.message.bytes`, creating the missing ones whose handler allows it (with their
 * source's settings, see `failureTopicCreation`). Throws `TopicTopologyError` listing every problem.
 * Resolves the partition count of each failure topic.
 */
export async function ensureFailureTopics(
  admin: Admin,
  requirements: readonly FailureTopicRequirement[],
  onWarning: (message: string) => void = () => undefined,
): Promise<Map<string, number>> {
  const existing = new Set(await admin.listTopics());
  const known = [...new Set(requirements.flatMap((r) => [r.topic, r.sourceTopic]))].filter((t) => existing.has(t));
  const settings = await describeTopics(admin, known, onWarning);
  const problems: string[] = [];
  const toCreate = new Map<string, Array<TopicSettings | undefined>>();
  for (const requirement of requirements) {
    const { topic, kind, sourceTopic, handler } = requirement;
    const source = settings.get(sourceTopic);
    // A source topic that does not exist yet is created with the broker's default of one partition.
    const needed = source?.partitions ?? 1;
    const actual = settings.get(topic);
    if (actual === undefined) {
      if (requirement.create) toCreate.set(topic, [...(toCreate.get(topic) ?? []), source]);
      else problems.push(failureTopicMissing(kind, topic, sourceTopic, needed, handler));
      continue;
    }
    if (actual.partitions < needed) {
      problems.push(failureTopicTooSmall(kind, topic, actual.partitions, sourceTopic, needed, handler));
    }
    if (source && actual.replicationFactor < source.replicationFactor) {
      problems.push(
        failureTopicUnderReplicated(
          kind,
          topic,
          actual.replicationFactor,
          sourceTopic,
          source.replicationFactor,
          handler,
        ),
      );
    }
    if (source?.maxMessageBytes !== undefined && (actual.maxMessageBytes ?? Infinity) < source.maxMessageBytes) {
      problems.push(
        failureTopicMessageLimit(kind, topic, actual.maxMessageBytes!, sourceTopic, source.maxMessageBytes, handler),
      );
    }
  }
  if (problems.length > 0) {
    throw new TopicTopologyError(problems.join('\n'), [...new Set(requirements.map((r) => r.topic))]);
  }
  const partitions = new Map([...settings].map(([topic, s]) => [topic, s.partitions]));
  if (toCreate.size > 0) {
    const topics = [...toCreate].map(([topic, sources]) => failureTopicCreation(topic, sources));
    await admin.createTopics({ topics, waitForLeaders: true });
    for (const { topic, numPartitions } of topics) partitions.set(topic, numPartitions!);
  }
  return new Map(requirements.map((r) => [r.topic, partitions.get(r.topic)!]));
}
