import type { PlannedHandler } from './consumer-group.plan.js';
import { routeEntries } from './consumer-group.plan.js';
import { buildRouter, type HandlerRouter } from './handler-routes.js';
import type { GroupHandler } from './record-dispatcher.js';

/**
 * The group handler of a routed topic: the first declared handler, carrying the router that picks
 * among all of them per record. Topics with one handler get no router (their dispatch is unchanged).
 */
export function routedHandler<H>(
  groupId: string,
  first: PlannedHandler<H>,
  toGroupHandler: (planned: PlannedHandler<H>) => GroupHandler,
): GroupHandler {
  const built = new Map<PlannedHandler<H>, GroupHandler>();
  const groupHandlerOf = (planned: PlannedHandler<H>) => {
    let handler = built.get(planned);
    if (!handler) built.set(planned, (handler = toGroupHandler(planned)));
    return handler;
  };
  const primary = groupHandlerOf(first);
  const plannedRouter = buildRouter(first.topic, groupId, routeEntries(first));
  const router: HandlerRouter<GroupHandler> = {
    header: plannedRouter.header,
    unrouted: plannedRouter.unrouted,
    handlers: plannedRouter.handlers.map(groupHandlerOf),
    select: (headerValue, data) => {
      const planned = plannedRouter.select(headerValue, data);
      return planned === undefined ? undefined : groupHandlerOf(planned);
    },
  };
  const withRouter: GroupHandler = { ...primary, router };
  built.set(first, withRouter); // the dispatcher's own handler: its records keep their context
  return withRouter;
}
