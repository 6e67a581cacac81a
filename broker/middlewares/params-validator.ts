import { Errors, type Context, type Middleware } from "moleculer";
import { z } from "zod";

/**
 * Action params declared as zod schemas: the schema validates at the service's edge and the handler's params
 * type is inferred from it, so a parameter is declared once. Moleculer's built-in validator is switched off
 * (`validator: false` in moleculer.config.ts) and this middleware takes its place.
 */
export class ParamsSchema<S extends z.ZodType = z.ZodType> {
  /**
   * Behind a function because Moleculer deep-clones action definitions, and a deep-cloned zod schema no longer
   * parses; lodash copies functions by reference.
   */
  readonly schema: () => S;

  constructor(schema: S) {
    this.schema = () => schema;
  }

  /** Node INFO packets carry action definitions to other nodes; send a JSON Schema, not zod's internals. */
  toJSON(): unknown {
    try {
      return z.toJSONSchema(this.schema(), { io: "input", unrepresentable: "any" });
    } catch {
      return { type: "object" };
    }
  }
}

export function params<S extends z.ZodType>(schema: S): ParamsSchema<S> {
  return new ParamsSchema(schema);
}

export interface ValidationIssue {
  field: string;
  message: string;
}

export function describeIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join(".") : (unknownKeysOf(issue) ?? "(body)"),
    message: issue.message,
  }));
}

function unknownKeysOf(issue: z.core.$ZodIssue): string | undefined {
  return issue.code === "unrecognized_keys" ? issue.keys.join(", ") : undefined;
}

export const ParamsValidatorMiddleware: Middleware = {
  name: "ParamsValidator",
  localAction(next: (ctx: Context) => Promise<unknown>, action: { params?: unknown }) {
    const declared: unknown = action.params;
    if (!(declared instanceof ParamsSchema)) return next;
    const schema: z.ZodType = (declared as ParamsSchema).schema();
    return function validateParams(ctx: Context): Promise<unknown> {
      const result = schema.safeParse(ctx.params ?? {});
      if (!result.success) {
        return Promise.reject(
          new Errors.ValidationError("invalid parameters", "VALIDATION_FAILED", describeIssues(result.error)),
        );
      }
      // The parsed value replaces the raw one so handlers see trimmed, coerced and defaulted params.
      ctx.params = result.data;
      return next(ctx);
    };
  },
};
