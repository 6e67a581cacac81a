import type { ActionSchema, Context } from "moleculer";
import { UnauthorizedError } from "../lib/errors";
import type { z } from "zod";
import { params, type ParamsSchema } from "./middlewares/params-validator";

/** What the gateway puts into ctx.meta for an authenticated call. */
export interface CallerMeta {
  user?: { userId: string; sessionId: string } | null;
}

export type ActionContext<S extends z.ZodType> = Context<z.output<S>, CallerMeta>;

/**
 * An action whose params are a zod schema: the handler's ctx.params is typed from the same schema that
 * validates it, so no parameter is declared twice.
 */
export function defineAction<S extends z.ZodType, R>(def: {
  params: S;
  visibility?: ActionSchema["visibility"];
  /** Moleculer's per-action settings: timeout, bulkhead, retry policy. */
  options?: {
    timeout?: number;
    bulkhead?: ActionSchema["bulkhead"];
    retryPolicy?: ActionSchema["retryPolicy"];
  };
  handler: (ctx: ActionContext<S>) => Promise<R>;
}): ActionSchema & { params: ParamsSchema<S> } {
  return {
    ...def.options,
    visibility: def.visibility ?? "published",
    params: params(def.params),
    handler: def.handler as ActionSchema["handler"],
  } as ActionSchema & { params: ParamsSchema<S> };
}

/** The signed-in caller the gateway authenticated; an action reached without one answers 401. */
export function callerOf(ctx: ActionContext<z.ZodType>): { userId: string; sessionId: string } {
  const caller = ctx.meta.user;
  if (!caller) throw new UnauthorizedError();
  return caller;
}

/** The id of the signed-in caller. */
export function callerIdOf(ctx: ActionContext<z.ZodType>): string {
  return callerOf(ctx).userId;
}
