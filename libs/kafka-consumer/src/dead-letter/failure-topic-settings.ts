import type { Admin, ConfigResourceTypes, ConfigSource, ITopicConfig } from 'kafkajs';

// kafkajs' enum values (its CommonJS exports of them are not visible to ESM named imports).
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
const TOPIC_CONFIG_SOURCE = 1 as ConfigSource;

/** Room left in a failure topic for the headers a failure adds (exception message, stack, original-*). */
export const FAILURE_HEADERS_ALLOWANCE_BYTES = 64 * 1024;

/** What a failure topic copies from its source, as the broker reports it. */
export interface TopicSettings {
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Effective `max.message.bytes`; undefined when the configs could not be read. */
  readonly maxMessageBytes?: number;
  /** `min.insync.replicas` when set on the topic itself (else the broker default applies). */
  readonly minInsyncReplicas?: string;
}

/**
 * Partitions, replication factor and size/durability configs of existing topics. Configs that cannot
 * be read (no DescribeConfigs permission) are left out and reported through `onWarning`.
 */
export async function describeTopics(
  admin: Admin,
  topics: readonly string[],
  onWarning: (message: string) => void,
): Promise<Map<string, TopicSettings>> {
  const settings = new Map<string, TopicSettings>();
  if (topics.length === 0) return settings;
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
  for (const { name, partitions } of metadata) {
    // The smallest replica set: a partition being reassigned lists its old and new replicas both.
    const replicationFactor = partitions.length > 0 ? Math.min(...partitions.map((p) => p.replicas.length)) : 0;
    settings.set(name, { partitions: partitions.length, replicationFactor });
  }
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({
        type: TOPIC_RESOURCE,
        name,
        configNames: ['max.message.bytes', 'min.insync.replicas'],
      })),
    });
    for (const { resourceName, configEntries } of resources) {
      const known = settings.get(resourceName);
      if (!known) continue;
      const entry = (name: string) => configEntries.find((e) => e.configName === name);
      const maxMessageBytes = Number(entry('max.message.bytes')?.configValue);
      const minInsync = entry('min.insync.replicas');
      settings.set(resourceName, {
        ...known,
        maxMessageBytes: Number.isFinite(maxMessageBytes) ? maxMessageBytes : undefined,
        minInsyncReplicas: minInsync?.configSource === TOPIC_CONFIG_SOURCE ? minInsync.configValue : undefined,
      });
    }
  } catch (error) {
    onWarning(
      `Could not read the configs of ${topics.map((t) => `"${t}"`).join(', ')} (${error instanceof Error ? error.message : String(error)}): ` +
        'failure topics are checked and created without max.message.bytes / min.insync.replicas.',
    );
  }
  return settings;
}

/**
 * How a missing failure topic is created from its sources' settings: their largest partition count
 * and replication factor, their `max.message.bytes` plus room for the failure headers, and their
 * `min.insync.replicas` when set. A source that does not exist yet gives the broker defaults.
 */
export function failureTopicCreation(topic: string, sources: ReadonlyArray<TopicSettings | undefined>): ITopicConfig {
  const known = sources.filter((s): s is TopicSettings => s !== undefined);
  const numPartitions = Math.max(1, ...known.map((s) => s.partitions));
  const replicationFactor = known.length > 0 ? Math.max(...known.map((s) => s.replicationFactor)) : -1;
  const maxMessageBytes = Math.max(0, ...known.map((s) => s.maxMessageBytes ?? 0));
  const minInsync = Math.max(0, ...known.map((s) => Number(s.minInsyncReplicas ?? 0)));
  const configEntries = [
    ...(maxMessageBytes > 0
      ? [{ name: 'max.message.bytes', value: String(maxMessageBytes + FAILURE_HEADERS_ALLOWANCE_BYTES) }]
      : []),
    ...(minInsync > 0 ? [{ name: 'min.insync.replicas', value: String(minInsync) }] : []),
  ];
  return { topic, numPartitions, replicationFactor, ...(configEntries.length > 0 ? { configEntries } : {}) };
}
