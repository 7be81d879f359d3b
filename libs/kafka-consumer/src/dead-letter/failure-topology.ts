import type { Admin } from 'kafkajs';
import { TopicTopologyError } from '../errors/topic-topology.error.js';
import { failureTopicMissing, failureTopicTooSmall, type FailureTopicKind } from '../kafka-consumer.messages.js';
import type { ResolvedHandlerOptions } from '../kafka-consumer.options.js';
import { retryTopicNames } from '../retry-topics/retry-topics.js';
import { isDeadLetterTopic } from './failure-route.js';

/** A dead-letter or retry topic some handler writes to. */
export interface FailureTopicRequirement {
  readonly topic: string;
  readonly kind: FailureTopicKind;
  /** The handler's topic: the failure topic needs at least its partition count. */
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
    if (options.deadLetter && !isDeadLetterTopic(topic, undefined, options.deadLetter)) {
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
    if (isDeadLetterTopic(topic, undefined, options.deadLetter, deadLetterTopics)) continue;
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
 * Checks that every failure topic exists with at least its source's partition count, creating the
 * missing ones whose handler allows it. Throws `TopicTopologyError` listing every problem.
 * Resolves the partition count of each failure topic.
 */
export async function ensureFailureTopics(
  admin: Admin,
  requirements: readonly FailureTopicRequirement[],
): Promise<Map<string, number>> {
  const existing = new Set(await admin.listTopics());
  const known = [...new Set(requirements.flatMap((r) => [r.topic, r.sourceTopic]))].filter((t) => existing.has(t));
  const partitions = new Map<string, number>();
  if (known.length > 0) {
    const { topics } = await admin.fetchTopicMetadata({ topics: known });
    for (const { name, partitions: list } of topics) partitions.set(name, list.length);
  }
  const problems: string[] = [];
  const toCreate = new Map<string, number>();
  for (const requirement of requirements) {
    const { topic, kind, sourceTopic, handler } = requirement;
    // A source topic that does not exist yet is created with the broker's default of one partition.
    const needed = partitions.get(sourceTopic) ?? 1;
    const actual = partitions.get(topic);
    if (actual === undefined) {
      if (requirement.create) toCreate.set(topic, Math.max(needed, toCreate.get(topic) ?? 0));
      else problems.push(failureTopicMissing(kind, topic, sourceTopic, needed, handler));
    } else if (actual < needed) {
      problems.push(failureTopicTooSmall(kind, topic, actual, sourceTopic, needed, handler));
    }
  }
  if (problems.length > 0) {
    throw new TopicTopologyError(problems.join('\n'), [...new Set(requirements.map((r) => r.topic))]);
  }
  if (toCreate.size > 0) {
    await admin.createTopics({
      topics: [...toCreate].map(([topic, numPartitions]) => ({ topic, numPartitions })),
      waitForLeaders: true,
    });
    for (const [topic, count] of toCreate) partitions.set(topic, count);
  }
  return new Map(requirements.map((r) => [r.topic, partitions.get(r.topic)!]));
}
