import { boolean } from './option-readers.js';

// Runtime control: groups that start only when asked ----

/** Runtime-control options of one handler. */
export interface ControlOptions {
  /**
   * Join the group at `listen()`. `false`: the group starts only on
   * `KafkaConsumerRegistry.startGroup(groupId)` (every handler of a group must agree). Default true.
   */
  autoStartup?: boolean;
}

export interface ResolvedControlOptions {
  autoStartup: boolean;
}

export function resolveControl(where: string, raw: Record<string, unknown>): ResolvedControlOptions {
  return { autoStartup: boolean(`${where} autoStartup`, raw.autoStartup, true) };
}
