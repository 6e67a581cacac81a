import { Errors, type ActionHandler, type Context, type Middleware, type Service } from "moleculer";
import { AppError, PortError } from "../../lib/errors";

/**
 * Turns domain errors into Moleculer errors where they are thrown, so that status, code and details survive
 * the trip over the transporter (Moleculer rebuilds errors from name, code, type and data on the caller's node).
 */
export const AppErrorsMiddleware: Middleware = {
  name: "AppErrors",
  localAction(next: ActionHandler) {
    return async function mapAppErrors(this: Service, ctx: Context): Promise<unknown> {
      try {
        return await next.call(this, ctx);
      } catch (err: unknown) {
        throw toMoleculerError(err);
      }
    };
  },
};

export function toMoleculerError(err: unknown): unknown {
  if (err instanceof AppError) {
    return err.status >= 500
      ? new Errors.MoleculerRetryableError(err.message, err.status, err.code, err.details)
      : new Errors.MoleculerClientError(err.message, err.status, err.code, err.details);
  }
  if (err instanceof PortError && err.answer !== undefined) {
    const { message, status, code } = err.answer;
    return err.retryable
      ? new Errors.MoleculerRetryableError(message, status, code)
      : new Errors.MoleculerClientError(message, status, code);
  }
  return err;
}
