import { z } from "zod";
import { username } from "../accounts/params";
import { pageParams } from "../validation/page";

export const targetParams = z.strictObject({ username });
export const userPageParams = z.strictObject({ username, ...pageParams });
export const pageOnlyParams = z.strictObject(pageParams);
