import { describe, expect, it } from 'vitest';
import { isRebalanceError } from './offset-committer.js';
import { GenerationEndedError, KafkaGroupCommit, type CommitOnce } from './group-commit.js';

const timedOut = () =>
  Object.assign(new Error('The request timed out'), {
    name: 'KafkaJSProtocolError',
    type: 'REQUEST_TIMED_OUT',
    retriable: true,
  });
const rebalancing = () =>
  Object.assign(new Error('The group is rebalancing'), {
    name: 'KafkaJSProtocolError',
    type: 'REBALANCE_IN_PROGRESS',
    retriable: false,
  });

function setUp(answers: Array<() => void>, deadlineMs = 10_000) {
  let generation = 1;
  const sent: unknown[] = [];
  const fallback: unknown[] = [];
  const sleeps: number[] = [];
  const commit = new KafkaGroupCommit(
    { commitOffsets: async (offsets) => void fallback.push(offsets) },
    {
      groupId: 'g',
      generation: () => generation,
      deadlineMs,
      sleep: async (ms) => void sleeps.push(ms),
    },
  );
  const once: CommitOnce = async (payload) => {
    sent.push(payload);
    answers.shift()?.();
  };
  return { commit, once, sent, fallback, sleeps, rejoin: () => generation++ };
}

const offsets = [
  { topic: 't', partition: 0, offset: '10', epoch: 3 },
  { topic: 't', partition: 1, offset: '4' },
  { topic: 'u', partition: 0, offset: '7' },
];

describe('KafkaGroupCommit', () => {
  it('sends one request through the latest batch, offsets grouped by topic', async () => {
    const { commit, once, sent, fallback } = setUp([]);
    commit.track(once);
    await commit.commit(offsets);
    expect(sent).toEqual([
      {
        topics: [
          {
            topic: 't',
            partitions: [
              { partition: 0, offset: '10' },
              { partition: 1, offset: '4' },
            ],
          },
          { topic: 'u', partitions: [{ partition: 0, offset: '7' }] },
        ],
      },
    ]);
    expect(fallback).toEqual([]);
  });

  it('retries a timed-out request, with growing waits, while the generation is the same', async () => {
    const { commit, once, sent, sleeps } = setUp([
      () => {
        throw timedOut();
      },
      () => {
        throw timedOut();
      },
    ]);
    commit.track(once);
    await commit.commit(offsets);
    expect(sent).toHaveLength(3);
    expect(sleeps).toEqual([100, 200]);
  });

  it('never sends it again once the member rejoined (D2): a rebalance error the next join answers', async () => {
    const setup = setUp([
      () => {
        setup.rejoin(); // the join completes while the first attempt is out
        throw timedOut();
      },
    ]);
    setup.commit.track(setup.once);
    const error = await setup.commit.commit(offsets).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenerationEndedError);
    expect(isRebalanceError(error)).toBe(true);
    expect(setup.sent).toHaveLength(1);
  });

  it('does not retry an answer that ends the generation', async () => {
    const { commit, once, sent } = setUp([
      () => {
        throw rebalancing();
      },
    ]);
    commit.track(once);
    await expect(commit.commit(offsets)).rejects.toMatchObject({ type: 'REBALANCE_IN_PROGRESS' });
    expect(sent).toHaveLength(1);
  });

  it('does not retry past its deadline, nor errors that are not kafkajs errors', async () => {
    const late = setUp(
      [
        () => {
          throw timedOut();
        },
      ],
      50,
    );
    late.commit.track(late.once);
    await expect(late.commit.commit(offsets)).rejects.toMatchObject({ type: 'REQUEST_TIMED_OUT' });
    expect(late.sent).toHaveLength(1);
    const bug = setUp([
      () => {
        throw new TypeError('boom');
      },
    ]);
    bug.commit.track(bug.once);
    await expect(bug.commit.commit(offsets)).rejects.toBeInstanceOf(TypeError);
    expect(bug.sent).toHaveLength(1);
  });

  it('stops after a crash reset, and commits through the consumer before any batch of a run', async () => {
    const { commit, once, sent, fallback } = setUp([
      () => {
        commit.reset();
        throw timedOut();
      },
    ]);
    commit.track(once);
    await expect(commit.commit(offsets)).rejects.toBeInstanceOf(GenerationEndedError);
    expect(sent).toHaveLength(1);
    await commit.commit(offsets);
    expect(fallback).toEqual([offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }))]);
  });
});
