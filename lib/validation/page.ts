import { z } from "zod";

/** api.md's paging: `limit` 1–100 (default 20) and an opaque `cursor`; query strings arrive as text. */
export const pageParams = {
  limit: z.coerce
    .number({ error: "must be a whole number from 1 to 100" })
    .int("must be a whole number from 1 to 100")
    .min(1, "must be a whole number from 1 to 100")
    .max(100, "must be a whole number from 1 to 100")
    .default(20),
  cursor: z
    .string()
    .min(1, "must not be empty")
    .max(2048, "is not a cursor of ours")
    .regex(/^[A-Za-z0-9_-]+$/, "is not a cursor of ours")
    .optional(),
};

/** api.md's answer for a list: a page of items and the cursor of the next, null at the end. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
