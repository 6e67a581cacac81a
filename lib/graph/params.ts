import { z } from "zod";
import { username } from "../accounts/params";
import { pageParams } from "../validation/page";

export const targetParams = z.strictObject({ username });
export const userPageParams = z.strictObject({ username, ...pageParams });
export const pageOnlyParams = z.strictObject(pageParams);

/** A mute, for a time (seconds, a minute to a year) or, without `seconds`, until undone. */
export const muteParams = z.strictObject({
  username,
  seconds: z
    .number({ error: "must be a whole number of seconds" })
    .int("must be a whole number of seconds")
    .min(60, "must be a minute to a year")
    .max(31_536_000, "must be a minute to a year")
    .optional()
    .describe("how long the mute lasts; absent: until undone"),
});
