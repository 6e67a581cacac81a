import { z } from "zod";
import { username } from "../accounts/params";
import { isId } from "../ids";
import { pageParams } from "../validation/page";

const id = z.string().refine(isId, "must be an id (a decimal string)");

export const createStoryParams = z.strictObject({ mediaId: id });

export const storyIdParams = z.strictObject({ id });

export const storyFeedParams = z.strictObject({});

export const userStoriesParams = z.strictObject({ username });

export const storyViewersParams = z.strictObject({ id, ...pageParams });
