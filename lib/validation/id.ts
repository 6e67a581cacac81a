import { z } from "zod";
import { isId } from "../ids";

/** A Snowflake id as api.md sends it: a decimal string. */
export const id = z.string().refine(isId, "must be an id (a decimal string)");
