import { isDeepStrictEqual } from "node:util";
import { Errors, type Context, type Middleware } from "moleculer";
import { contractOf } from "../../lib/contracts";
import { describeIssues } from "./params-validator";

/** An action answered something its contract (lib/contracts) does not describe. */
export class ResultContractError extends Errors.MoleculerError {
  constructor(action: string, problems: unknown) {
    super(`${action} answered outside its contract`, 500, "RESULT_CONTRACT", problems);
  }
}

/**
 * Checks every answer of a local action against its contract's result schema, fields it does not list included,
 * so the OpenAPI document generated from the contracts says what the API really answers. On in the tests
 * (CHECK_RESULTS=on), where a mismatch fails the request with a 500; off in production, where it would cost a
 * parse of every answer.
 */
export const ResultContractMiddleware: Middleware = {
  name: "ResultContract",
  localAction(next: (ctx: Context) => Promise<unknown>, action: { name?: string }) {
    const name = action.name ?? "";
    const contract = contractOf(name);
    if (contract === undefined) return next;
    return async function checkResult(ctx: Context): Promise<unknown> {
      const answer = await next(ctx);
      if (contract.serialized && typeof answer !== "string") {
        throw new ResultContractError(name, { serialized: "the contract says JSON text" });
      }
      const result: unknown = contract.serialized ? JSON.parse(answer as string) : answer;
      const checked = contract.result.safeParse(result);
      if (!checked.success) throw new ResultContractError(name, describeIssues(checked.error));
      // Zod drops fields its schema does not name; an answer with more than the contract lists is caught here.
      if (!isDeepStrictEqual(plain(checked.data), plain(result))) {
        throw new ResultContractError(name, {
          unlisted: { answered: plain(result), contract: plain(checked.data) },
        });
      }
      return answer;
    };
  },
};

function plain(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
