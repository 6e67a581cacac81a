import { id } from "../validation/id";
import { z } from "zod";
import { username } from "../accounts/params";
import { pageParams } from "../validation/page";

export const createStoryParams = z.strictObject({ mediaId: id });

export const storyIdParams = z.strictObject({ id });

export const userStoriesParams = z.strictObject({ username });

export const storyViewersParams = z.strictObject({ id, ...pageParams });
