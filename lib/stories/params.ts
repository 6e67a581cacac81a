import { id } from "../validation/id";
import { z } from "zod";
import { username } from "../accounts/params";
import { pageParams } from "../validation/page";
import { audience } from "../audience/audience";

export const createStoryParams = z.strictObject({
  mediaId: id,
  audience: audience.default("everyone"),
});

export const storyIdParams = z.strictObject({ id });

export const userStoriesParams = z.strictObject({ username });

export const storyViewersParams = z.strictObject({ id, ...pageParams });
