import type { ActionSchema, Context } from "moleculer";
import {
  actionContracts,
  type ActionName,
  type ActionsOf,
  type ParamsOut,
  type ResultOf,
  type ServiceName,
} from "../lib/contracts";
import { UnauthorizedError } from "../lib/errors";
import { params } from "./middlewares/params-validator";

/** What the gateway puts into ctx.meta for an authenticated call. */
export interface CallerMeta {
  /** With the proof that whoever checked the token made for this request (broker/middlewares/caller-proof.ts). */
  user?: { userId: string; sessionId: string; proof?: string } | null;
  /** Set by the gateway on sign-up and sign-in only: where the session starts from, for the owner's list. */
  client?: { address: string; userAgent: string };
}

export type ActionContext<N extends ActionName> = Context<ParamsOut<N>, CallerMeta>;

/** Moleculer's per-action settings: timeout, bulkhead, retry policy, and how calls pick a node. */
export interface ActionOptions {
  timeout?: number;
  bulkhead?: ActionSchema["bulkhead"];
  retryPolicy?: ActionSchema["retryPolicy"];
  strategy?: string;
  strategyOptions?: Record<string, unknown>;
}

/** How a service implements one action of lib/contracts: params and result are the contract's. */
export interface ActionDefinition<N extends ActionName> {
  options?: ActionOptions;
  handler: (ctx: ActionContext<N>) => Promise<ResultOf<N>>;
}

export type ServiceActions<S extends ServiceName> = {
  [A in keyof ActionsOf<S>]: ActionsOf<S>[A] extends ActionName ? ActionDefinition<ActionsOf<S>[A]> : never;
};

/**
 * The actions of service `service`, every one of its contracts and nothing else (the compiler checks both ways):
 * each handler's params are typed and validated from the contract's schema, its result is typed by it, and an
 * internal contract is callable by other services but never routed by the gateway.
 */
export function defineActions<S extends ServiceName>(
  service: S,
  definitions: ServiceActions<S>,
): Record<string, ActionSchema> {
  const schemas: Record<string, ActionSchema> = {};
  const entries: [string, ActionDefinition<ActionName>][] = Object.entries(definitions);
  for (const [short, definition] of entries) {
    const contract = actionContracts[`${service}.${short}` as ActionName];
    schemas[short] = {
      ...definition.options,
      visibility: "internal" in contract ? "public" : "published",
      // Moleculer types params as fastest-validator's; ours is read by the zod middleware (params-validator.ts).
      params: params(contract.params) as unknown as ActionSchema["params"],
      handler: definition.handler as ActionSchema["handler"],
    };
  }
  return schemas;
}

/** The signed-in caller the gateway authenticated; an action reached without one answers 401. */
export function callerOf(ctx: Context<unknown, CallerMeta>): { userId: string; sessionId: string } {
  const caller = ctx.meta.user;
  if (!caller) throw new UnauthorizedError();
  // Without its proof: that is for the broker's middleware, and must not ride along into params or rows.
  return { userId: caller.userId, sessionId: caller.sessionId };
}

/** The id of the signed-in caller. */
export function callerIdOf(ctx: Context<unknown, CallerMeta>): string {
  return callerOf(ctx).userId;
}
