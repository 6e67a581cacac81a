import { Errors, type ActionHandler, type Context, type Middleware, type Service } from "moleculer";
import type { CallerProofs, ProofCheck, ProvenCaller, ProvenOperator } from "../../lib/accounts";

/** The code of the refusal, for clients and the REPL alike. */
export const UNPROVEN_CALLER = "UNPROVEN_CALLER";

/**
 * A call that names a caller without proof of it (a forged `meta.user`, a REPL's `--#user.userId`). Its stack is
 * its one line: the REPL prints the stack of a failed call, and here there is nothing more to show.
 */
export class UnprovenCallerError extends Errors.MoleculerClientError {
  constructor(check: Exclude<ProofCheck, "valid">, where: "meta.user" | "meta.operator" = "meta.user") {
    super(
      `refused: the caller in ${where} is not proven (${check}); an operator acts for a user with act-as`,
      401,
      UNPROVEN_CALLER,
      { check },
    );
    this.name = "UnprovenCallerError";
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * Checks the proof of `ctx.meta.user` (and of `ctx.meta.operator`) before any action runs on this node: a call carrying a caller runs only
 * if its proof was made for this request by whoever authenticated the token (lib/accounts/caller-proof.ts).
 * A call without a caller passes: actions that need one answer 401 themselves (broker/define-action.ts).
 * `proofs` is read at each call because the node builds the key after its broker; a node without it (a gateway
 * hosting nothing that reads callers) refuses every call that carries one.
 */
export function callerProofMiddleware(proofs: () => CallerProofs | undefined): Middleware {
  return {
    name: "CallerProof",
    localAction(next: ActionHandler) {
      return function checkCallerProof(this: Service, ctx: Context): Promise<unknown> {
        const meta = ctx.meta as { user?: ProvenCaller | null; operator?: ProvenOperator | null };
        const { user: caller, operator } = meta;
        if (caller !== undefined && caller !== null) {
          const check =
            typeof caller === "object" ? (proofs()?.check(caller, ctx.requestID) ?? "forged") : "malformed";
          if (check !== "valid") return Promise.reject(new UnprovenCallerError(check));
        }
        // An operator's console stands in for an admin: the same proof, signed for the operator's name.
        if (operator !== undefined && operator !== null) {
          const check =
            typeof operator === "object"
              ? (proofs()?.checkOperator(operator, ctx.requestID) ?? "forged")
              : "malformed";
          if (check !== "valid") return Promise.reject(new UnprovenCallerError(check, "meta.operator"));
        }
        return next.call(this, ctx) as Promise<unknown>;
      };
    },
    // A caller vouched for in this process (CallerProofs.vouch) gets its proof as a call takes it to another node.
    remoteAction(next: ActionHandler) {
      return function signCallerForTransit(this: Service, ctx: Context): Promise<unknown> {
        const meta = ctx.meta as { user?: ProvenCaller | null };
        const { user: caller } = meta;
        if (caller !== undefined && caller !== null && typeof caller === "object") {
          const carried = proofs()?.forTransit(caller, ctx.requestID);
          if (carried !== undefined && carried !== caller) meta.user = carried;
        }
        return next.call(this, ctx) as Promise<unknown>;
      };
    },
  };
}
