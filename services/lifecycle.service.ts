import type { ServiceSchema } from "moleculer";
import { defineActions } from "../broker/define-action";

/**
 * On every node (a console's aside): lets an admin command stop one node by its id, the way SIGTERM does. The
 * answer goes before the stop begins, so the caller hears that it was asked, not how the stop went.
 */
export function createLifecycleService(requestDrain: () => void): ServiceSchema {
  return {
    name: "lifecycle",
    actions: defineActions("lifecycle", {
      drain: {
        handler: (ctx) => {
          ctx.broker.logger.warn("an operator asked this node to drain: stopping as on SIGTERM");
          requestDrain();
          return Promise.resolve({ nodeId: ctx.broker.nodeID });
        },
      },
    }),
  };
}
