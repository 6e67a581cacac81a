import { AccessTokens } from "../../lib/accounts/access-tokens";
import { sessions } from "../../lib/accounts/tables";
import { SnowflakeGenerator } from "../../lib/ids";
import type { WideRowStore } from "../../lib/store/store";

/**
 * A live session for each user, written to the store, and an access token for it signed with `secret`: what a
 * bench's readers carry, as if each had signed in. Ids come from worker `workerId`, apart from the node's.
 */
export async function sessionTokens(
  store: WideRowStore,
  secret: string,
  userIds: readonly string[],
  options: { ttlSeconds: number; workerId: number },
): Promise<string[]> {
  const ids = new SnowflakeGenerator({ workerId: options.workerId });
  const issuer = new AccessTokens(secret, options.ttlSeconds);
  const tokens: string[] = [];
  for (const userId of userIds) {
    const sessionId = await ids.next();
    const created = new Date();
    await store.put(sessions, {
      user_id: userId,
      session_id: sessionId,
      created_at: created,
      expires_at: new Date(created.getTime() + options.ttlSeconds * 1000),
    });
    tokens.push((await issuer.issue(userId, sessionId)).token);
  }
  return tokens;
}
