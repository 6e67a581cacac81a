import { randomBytes } from "node:crypto";
import { SignJWT, decodeJwt } from "jose";
import { createPost, uploadPhoto } from "../media";
import { api, signup, startTestNode, type Account, type TestNode } from "../test-node";

/** The key the fuzzed node signs tokens with, so that the fuzzer can sign expired and altered ones with it. */
export const FUZZ_JWT_SECRET = "fuzz-secret-".padEnd(48, "k");

/** How the fuzzer authenticates one request. */
export type TokenKind =
  | "valid"
  | "valid-other"
  | "none"
  | "malformed"
  | "forged"
  | "expired"
  | "alg-none"
  | "wrong-audience"
  | "unknown-session"
  | "bad-subject"
  | "revoked";

/** Objects that exist on the node, so that generated ids and names reach real rows most of the time. */
export interface Pools {
  usernames: string[];
  postIds: string[];
  commentIds: string[];
  storyIds: string[];
  conversationIds: string[];
  mediaIds: string[];
  uploadIds: string[];
  /** Every id above, for fields that take any id. */
  ids: string[];
}

export interface FuzzWorld {
  t: TestNode;
  /** The caller of most requests: public, with posts, a story, a conversation, an upload. */
  me: Account;
  /** Another public user with a post that `me` commented on. */
  other: Account;
  /** A private account. */
  hidden: Account;
  pools: Pools;
  /** Authorization header values per kind (undefined: no header). */
  tokens: Record<Exclude<TokenKind, "valid" | "valid-other">, string[]>;
  /** A fresh session of `me`, for the requests that end theirs (logout). */
  freshToken: () => Promise<string>;
  /** A photo `me` just uploaded (media are used by one post or story only). */
  freshMedia: () => Promise<string>;
}

function created(res: { status: number; text: string; body: unknown }, what: string): string {
  const body = res.body;
  if (res.status >= 300 || typeof body !== "object" || body === null || !("id" in body)) {
    throw new Error(`fuzz setup: ${what} failed: ${res.status} ${res.text}`);
  }
  return String(body.id);
}

/** Starts a node and fills it with a few users and one of everything the routes act on. */
export async function buildWorld(): Promise<FuzzWorld> {
  // A body that stops short is cut this soon (408), well within the fuzzer's bound on an answer.
  const t = await startTestNode({ JWT_SECRET: FUZZ_JWT_SECRET, BODY_IDLE_TIMEOUT_MS: "1500" });
  const url = t.url;
  const me = await signup(url);
  const other = await signup(url);
  const hidden = await signup(url);
  await api(url, "PATCH", "/api/me", { token: hidden.token, body: { isPrivate: true } });

  const myPost = await createPost(url, me, "hello #fuzz @" + other.username);
  const otherPost = await createPost(url, other, "theirs");
  const hiddenPost = await createPost(url, hidden, "private");
  const spareMedia = await uploadPhoto(url, me);
  const storyMedia = await uploadPhoto(url, me);
  const otherMedia = await uploadPhoto(url, other);
  const commentId = created(
    await api(url, "POST", `/api/posts/${otherPost.id}/comments`, {
      token: me.token,
      body: { text: "nice" },
    }),
    "comment",
  );
  const storyId = created(
    await api(url, "POST", "/api/stories", { token: me.token, body: { mediaId: storyMedia.id } }),
    "story",
  );
  const conversationId = created(
    await api(url, "POST", "/api/conversations", { token: me.token, body: { usernames: [other.username] } }),
    "conversation",
  );
  await api(url, "POST", `/api/conversations/${conversationId}/messages`, {
    token: other.token,
    body: { text: "hi" },
  });
  const uploadId = created(
    await api(url, "POST", "/api/uploads", {
      token: me.token,
      body: { filename: "a.jpg", size: 3000, contentType: "image/jpeg" },
    }),
    "upload",
  );
  await api(url, "POST", `/api/users/${me.username}/follow`, { token: other.token });
  await api(url, "POST", `/api/users/${hidden.username}/follow`, { token: me.token });

  const pools: Pools = {
    usernames: [me.username, other.username, hidden.username, "nobody_here"],
    postIds: [myPost.id, otherPost.id, hiddenPost.id],
    commentIds: [commentId],
    storyIds: [storyId],
    conversationIds: [conversationId],
    mediaIds: [spareMedia.id, otherMedia.id, storyMedia.id, ...myPost.media.map((m) => m.id)],
    uploadIds: [uploadId],
    ids: [],
  };
  pools.ids = [
    me.user.id,
    ...pools.postIds,
    ...pools.commentIds,
    ...pools.storyIds,
    ...pools.conversationIds,
    ...pools.mediaIds,
    ...pools.uploadIds,
  ];

  const freshToken = async (): Promise<string> => {
    const res = await api<{ token: string }>(url, "POST", "/api/auth/login", {
      body: { login: me.username, password: me.password },
    });
    if (res.status !== 200) throw new Error(`fuzz: login failed: ${res.status} ${res.text}`);
    return res.body.token;
  };
  const revoked = await freshToken();
  await api(url, "POST", "/api/auth/logout", { token: revoked });

  const claims = decodeJwt(me.token);
  const realKey = new TextEncoder().encode(FUZZ_JWT_SECRET);
  const sign = (payload: Record<string, unknown>, key: Uint8Array = realKey, alg = "HS256") =>
    new SignJWT(payload).setProtectedHeader({ alg, typ: "JWT" }).sign(key);
  const now = Math.floor(Date.now() / 1000);
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const [, payload] = me.token.split(".");
  const bearer = (token: string) => `Bearer ${token}`;

  const tokens: FuzzWorld["tokens"] = {
    none: [],
    malformed: [
      "Bearer",
      "Bearer ",
      "Bearer  " + me.token,
      "bearer " + me.token,
      "Basic " + Buffer.from("a:b").toString("base64"),
      "Token " + me.token,
      me.token,
      "Bearer a.b.c",
      "Bearer ...",
      "Bearer " + "a".repeat(5000),
      "Bearer " + "a".repeat(4096),
      "Bearer " + me.token + ".",
      "Bearer " + me.token + " extra",
      "Bearer " + me.token.slice(0, -1),
      "Bearer " + me.token.replace(/\./g, ""),
      "Bearer \u00e9\u00e8",
      "Bearer %00",
      "Bearer null",
      "Bearer undefined",
      "Bearer " + "=".repeat(64),
      "Bearer " + randomBytes(48).toString("base64"),
    ],
    forged: [
      bearer(await sign(claims, new TextEncoder().encode("another-key-".padEnd(48, "x")))),
      bearer(await sign(claims, new TextEncoder().encode("y".repeat(64)), "HS512")),
      bearer(await sign({ ...claims, sub: other.user.id }, new TextEncoder().encode("z".repeat(48)))),
    ],
    expired: [
      bearer(await sign({ ...claims, iat: now - 7200, exp: now - 3600 })),
      bearer(await sign({ ...claims, iat: now - 10, exp: now - 1 })),
      bearer(await sign({ ...claims, exp: 0 })),
    ],
    "alg-none": [
      bearer(`${b64({ alg: "none", typ: "JWT" })}.${payload}.`),
      bearer(`${b64({ alg: "none" })}.${payload}`),
    ],
    "wrong-audience": [
      bearer(await sign({ ...claims, aud: "someone-else" })),
      bearer(await sign({ ...claims, iss: "someone-else" })),
      bearer(await sign({ ...claims, nbf: now + 3600 })),
      bearer(await sign({ sub: claims.sub, sid: claims.sid, iss: claims.iss, aud: claims.aud })),
    ],
    "unknown-session": [
      bearer(await sign({ ...claims, sid: "1234567890123" })),
      bearer(await sign({ ...claims, sub: "1234567890123" })),
      bearer(await sign({ ...claims, sub: other.user.id })),
    ],
    "bad-subject": [
      bearer(await sign({ ...claims, sub: "-1" })),
      bearer(await sign({ ...claims, sub: "0001" })),
      bearer(await sign({ ...claims, sub: "99999999999999999999" })),
      bearer(await sign({ ...claims, sid: "__proto__" })),
      bearer(await sign({ ...claims, sub: "\u0000" })),
      bearer(await sign({ ...claims, exp: "tomorrow" })),
    ],
    revoked: [bearer(revoked)],
  };
  const freshMedia = async (): Promise<string> => (await uploadPhoto(url, me)).id;
  return { t, me, other, hidden, pools, tokens, freshToken, freshMedia };
}
