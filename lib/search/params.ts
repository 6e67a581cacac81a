import { z } from "zod";
import { pageParams } from "../validation/page";
import { boundedText } from "../validation/text";
import { MAX_SEARCH_WINDOW } from "./search-index";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * `GET /api/search`: `q` is data only (it never reaches a query parser), so any character is allowed but control
 * characters and lone surrogates, which no one types; `type` picks what is searched. Paging is by offset
 * within the first MAX_SEARCH_WINDOW results, carried in the cursor.
 */
export const searchParams = z.strictObject({
  q: boundedText(1, 100).refine(
    (q) => !LONE_SURROGATE.test(q),
    "must be well-formed text (no lone surrogates)",
  ),
  type: z.enum(["users", "tags", "posts"], { error: "must be users, tags or posts" }).default("users"),
  order: z.enum(["relevance", "recent"], { error: "must be relevance or recent" }).default("relevance"),
  limit: pageParams.limit,
  cursor: z
    .string()
    .regex(/^[0-9]{1,4}$/, "is not a cursor of ours")
    .transform(Number)
    .refine((offset) => offset < MAX_SEARCH_WINDOW, "is not a cursor of ours")
    .optional(),
});

export type SearchInput = z.output<typeof searchParams>;

/** `search.reindex`: `restart` abandons a reindex under way and begins again. */
export const reindexParams = z.strictObject({ restart: z.boolean().default(false) });
