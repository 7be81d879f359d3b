import { describe, expect, it } from 'vitest';
import { CONTEXT_PARAM, leanPathBlockers, PAYLOAD_PARAM, type HandlerComposition } from './lean-path.js';

class Outcome {}
class Retry {}
class Audit {}
const ours = [Outcome, Retry];

const defaultStack: HandlerComposition = {
  staticInstance: true,
  chained: false,
  interceptors: [Outcome, Retry],
  guards: 0,
  pipes: 0,
  filters: 0,
  globalEnhancers: 0,
  params: [
    { type: PAYLOAD_PARAM, index: 0, pipes: [] },
    { type: CONTEXT_PARAM, index: 1, pipes: [] },
  ],
};

describe('leanPathBlockers', () => {
  it('lets the default stack through: the package interceptors, @Payload() and @Ctx()', () => {
    expect(leanPathBlockers(defaultStack, ours)).toEqual([]);
    expect(
      leanPathBlockers({ ...defaultStack, params: [{ type: PAYLOAD_PARAM, index: 0, data: 'id', pipes: [] }] }, ours),
    ).toEqual([]);
  });

  it("needs Nest's pipeline for an interceptor of the user's, or the package's reordered", () => {
    expect(leanPathBlockers({ ...defaultStack, interceptors: [Audit, Outcome, Retry] }, ours)).toEqual([
      'interceptors of its own',
    ]);
    expect(leanPathBlockers({ ...defaultStack, interceptors: [Outcome, Retry, Audit] }, ours)).toEqual([
      'interceptors of its own',
    ]);
    expect(leanPathBlockers({ ...defaultStack, interceptors: [Retry, Outcome] }, ours)).toEqual([
      'interceptors of its own',
    ]);
  });

  it('needs it for guards, pipes, filters, global enhancers, custom or piped parameters', () => {
    expect(leanPathBlockers({ ...defaultStack, guards: 1 }, ours)).toEqual(['guards']);
    expect(leanPathBlockers({ ...defaultStack, pipes: 1 }, ours)).toEqual(['pipes']);
    expect(leanPathBlockers({ ...defaultStack, filters: 2 }, ours)).toEqual(['exception filters']);
    expect(leanPathBlockers({ ...defaultStack, globalEnhancers: 1 }, ours)).toEqual(['global enhancers']);
    expect(
      leanPathBlockers({ ...defaultStack, params: [{ type: '__customRouteArgs__:0', index: 0, pipes: [] }] }, ours),
    ).toEqual(['a custom parameter decorator']);
    expect(
      leanPathBlockers({ ...defaultStack, params: [{ type: PAYLOAD_PARAM, index: 0, pipes: [Audit] }] }, ours),
    ).toEqual(['parameter pipes']);
  });

  it('needs it for a request-scoped controller and for chained handlers of one pattern', () => {
    expect(leanPathBlockers({ ...defaultStack, staticInstance: false }, ours)).toEqual([
      'its controller is request-scoped or not found once',
    ]);
    expect(leanPathBlockers({ ...defaultStack, chained: true }, ours)).toEqual(['another handler shares its pattern']);
  });
});
