import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";
import yauzl from "yauzl";
import type { MediaView, PostView } from "../../lib/contracts/objects";
import type { ExportView } from "../../lib/export";
import { exportActive, exportJobs, exportQueue } from "../../lib/export/tables";
import { eventually } from "../support/eventually";
import { api, signup, startTestNode, type Account, type TestNode } from "../support/test-node";

interface ErrorBody {
  error?: { code: string };
}

const FIXTURES = path.resolve(__dirname, "../fixtures");

/** Issue #17: an archive of everything one posted, streamed into the blob store and downloadable for 7 days. */
describe("exporting one's data", function () {
  this.timeout(180_000);
  let t: TestNode;
  let offsetMs = 0;
  before(async () => {
    t = await startTestNode({}, { now: () => Date.now() + offsetMs });
  });
  after(() => t.stop());

  const startExport = (who: Account) =>
    api<ExportView & ErrorBody>(t.url, "POST", "/api/me/export", { token: who.token });
  const status = (who: Account) =>
    api<ExportView & ErrorBody>(t.url, "GET", "/api/me/export", { token: who.token });

  /** Uploads bytes of its own (a suffix makes every upload distinct), with alt text, and keeps them to compare. */
  const upload = async (who: Account, fixture: string, type: string, altText?: string) => {
    const base = await readFile(path.join(FIXTURES, fixture));
    // A PNG or an MP4 read to its end ignores what follows: the suffix keeps the uploads from being one original.
    const bytes = type === "image/png" ? Buffer.concat([base, Buffer.from(Math.random().toString())]) : base;
    const form = new FormData();
    if (altText !== undefined) form.append("altText", altText);
    form.append("file", new Blob([bytes], { type }), fixture);
    const res = await fetch(`${t.url}/api/media`, {
      method: "POST",
      headers: { authorization: `Bearer ${who.token}` },
      body: form,
    });
    expect(res.status).to.equal(201);
    let media = (await res.json()) as MediaView;
    for (let i = 0; i < 600 && media.status === "processing"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      media = (await api<MediaView>(t.url, "GET", `/api/media/${media.id}`, { token: who.token })).body;
    }
    expect(media.status).to.equal("ready");
    return { media, bytes };
  };
  const post = async (who: Account, mediaIds: string[], caption: string) => {
    const res = await api<PostView>(t.url, "POST", "/api/posts", {
      token: who.token,
      body: { caption, mediaIds },
    });
    expect(res.status, res.text).to.equal(201);
    return res.body;
  };
  const waitReady = async (who: Account): Promise<ExportView> => {
    let last: ExportView | undefined;
    await eventually(
      async () => {
        last = (await status(who)).body;
        return last.state === "ready" || last.state === "failed";
      },
      "the export is ready",
      60_000,
    );
    if (last === undefined) throw new Error("no status");
    expect(last.state).to.equal("ready");
    return last;
  };

  it("archives the profile, posts, comments, likes, follows, messages, stories and every original, byte for byte", async () => {
    const [ada, bob] = await Promise.all([signup(t.url), signup(t.url)]);
    const follow = (who: Account, whom: Account) =>
      api(t.url, "POST", `/api/users/${whom.username}/follow`, { token: who.token });
    expect((await follow(ada, bob)).status).to.equal(200);
    expect((await follow(bob, ada)).status).to.equal(200);

    const photo1 = await upload(ada, "image.png", "image/png", "A red kite over a wheat field");
    const photo2 = await upload(ada, "image.png", "image/png");
    const photo3 = await upload(ada, "photo-gps.jpg", "image/jpeg");
    const video = await upload(ada, "clip.mp4", "video/mp4", "Waves at dusk");
    const posts = [
      await post(ada, [photo1.media.id, photo2.media.id], "two at once #kites"),
      await post(ada, [photo3.media.id], "a jpeg"),
      await post(ada, [video.media.id], "a clip #sea"),
    ];
    const originals = new Map(
      [photo1, photo2, photo3, video].map(({ media, bytes }) => [media.id, bytes] as const),
    );

    const bobs = await post(bob, [(await upload(bob, "image.png", "image/png")).media.id], "bob's");
    const comment = await api<{ id: string }>(t.url, "POST", `/api/posts/${bobs.id}/comments`, {
      token: ada.token,
      body: { text: "lovely light" },
    });
    expect(comment.status).to.equal(201);
    expect((await api(t.url, "POST", `/api/posts/${bobs.id}/like`, { token: ada.token })).status).to.equal(
      200,
    );
    const conversation = await api<{ id: string }>(t.url, "POST", "/api/conversations", {
      token: ada.token,
      body: { usernames: [bob.username] },
    });
    expect(conversation.status).to.equal(201);
    const say = (who: Account, text: string) =>
      api(t.url, "POST", `/api/conversations/${conversation.body.id}/messages`, {
        token: who.token,
        body: { text },
      });
    expect((await say(ada, "hello bob")).status).to.equal(201);
    expect((await say(bob, "hello ada")).status).to.equal(201);
    const storyPhoto = await upload(ada, "image.png", "image/png");
    originals.set(storyPhoto.media.id, storyPhoto.bytes);
    const story = await api<{ id: string }>(t.url, "POST", "/api/stories", {
      token: ada.token,
      body: { mediaId: storyPhoto.media.id },
    });
    expect(story.status).to.equal(201);

    // Nobody has asked yet.
    expect((await status(ada)).status).to.equal(404);
    expect((await status(ada)).body.error?.code).to.equal("EXPORT_NOT_FOUND");

    // Two requests at once: one starts a job; the other is told one is under way, unless the first archive was
    // already made by the time it came (a loaded machine), and then it starts the next. Never two at a time.
    const [first, second] = await Promise.all([startExport(ada), startExport(ada)]);
    const statuses = [first.status, second.status].sort();
    let started = first.status === 202 ? first : second;
    if (statuses[1] === 409) {
      expect(statuses).to.deep.equal([202, 409]);
      expect((first.status === 409 ? first : second).body.error?.code).to.equal("EXPORT_IN_PROGRESS");
    } else {
      expect(statuses).to.deep.equal([202, 202]);
      await waitReady(ada);
      const store = t.node.app.store;
      if (store === undefined) throw new Error("the test node has a store");
      const jobs = (await store.slice(exportJobs, { user_id: ada.user.id }, { limit: 10 })).rows.reverse();
      expect(jobs).to.have.length(2);
      expect(jobs[0]?.ready_at?.getTime()).to.be.at.most(jobs[1]?.created_at?.getTime() ?? 0);
      started = first.body.id === jobs[1]?.export_id ? first : second;
    }
    expect(started.body.state).to.be.oneOf(["queued", "running"]);
    expect(started.body.url).to.equal(undefined);

    // Bob's GET shows none of Ada's, and his own export is his.
    expect((await status(bob)).status).to.equal(404);
    const bobsExport = await startExport(bob);
    expect(bobsExport.status).to.equal(202);
    expect(bobsExport.body.id).to.not.equal(started.body.id);

    const ready = await waitReady(ada);
    expect(ready.id).to.equal(started.body.id);
    expect(ready.progress.done).to.equal(ready.progress.total);
    expect(ready.progress.done).to.be.greaterThan(10);
    expect(Date.parse(ready.expiresAt ?? "") - Date.parse(ready.readyAt ?? "")).to.equal(7 * 86_400_000);
    expect(ready.url).to.be.a("string");
    expect(ready.size).to.be.greaterThan(0);
    const bobsReady = await waitReady(bob);
    expect(bobsReady.id).to.equal(bobsExport.body.id);
    expect(bobsReady.url).to.not.equal(ready.url);

    // Once ready, another may be asked for.
    const download = await fetch(ready.url ?? "");
    expect(download.status).to.equal(200);
    expect(download.headers.get("content-type")).to.equal("application/zip");
    const zip = Buffer.from(await download.arrayBuffer());
    expect(zip.length).to.equal(ready.size);
    const files = await unzip(zip);
    const json = <T>(name: string): T => {
      const file = files.get(name);
      expect(file, name).to.not.equal(undefined);
      return JSON.parse((file ?? Buffer.alloc(0)).toString("utf8")) as T;
    };

    const profile = json<{ id: string; username: string; email: string }>("profile.json");
    expect(profile).to.include({
      id: ada.user.id,
      username: ada.username,
      email: `${ada.username}@example.com`,
    });

    const archivedPosts = json<
      {
        id: string;
        caption: string;
        hashtags: string[];
        media: { id: string; altText: string | null; file: string }[];
      }[]
    >("posts.json");
    expect(archivedPosts.map((p) => p.id).sort()).to.deep.equal(posts.map((p) => p.id).sort());
    const kites = archivedPosts.find((p) => p.id === posts[0]?.id);
    expect(kites?.caption).to.equal("two at once #kites");
    expect(kites?.hashtags).to.deep.equal(["kites"]);
    expect(kites?.media.map((m) => m.altText)).to.deep.equal(["A red kite over a wheat field", null]);
    const archivedMedia = archivedPosts.flatMap((p) => p.media);
    expect(archivedMedia).to.have.length(4);
    for (const media of archivedMedia) {
      const original = originals.get(media.id);
      expect(original, media.id).to.not.equal(undefined);
      const file = files.get(media.file);
      expect(file, media.file).to.not.equal(undefined);
      expect(Buffer.compare(file ?? Buffer.alloc(0), original ?? Buffer.alloc(1)), media.file).to.equal(0);
    }
    expect(archivedMedia.find((m) => m.id === video.media.id)?.file).to.match(/\.mp4$/);
    expect(archivedMedia.find((m) => m.id === photo3.media.id)?.file).to.match(/\.jpg$/);

    const comments = json<{ id: string; postId: string; text: string }[]>("comments.json");
    expect(comments).to.deep.include({
      ...comments.find((c) => c.id === comment.body.id),
      text: "lovely light",
    });
    expect(comments.map((c) => c.postId)).to.include(bobs.id);
    expect(json<{ postId: string }[]>("likes.json").map((l) => l.postId)).to.deep.equal([bobs.id]);
    expect(json<{ username: string }[]>("following.json").map((u) => u.username)).to.deep.equal([
      bob.username,
    ]);
    expect(json<{ username: string }[]>("followers.json").map((u) => u.username)).to.deep.equal([
      bob.username,
    ]);
    const conversations =
      json<{ id: string; members: { username: string }[]; messages: { sender: string; text: string }[] }[]>(
        "messages.json",
      );
    expect(conversations.map((c) => c.id)).to.deep.equal([conversation.body.id]);
    expect(conversations[0]?.messages.map((m) => `${m.sender}: ${m.text}`).sort()).to.deep.equal(
      [`${ada.username}: hello bob`, `${bob.username}: hello ada`].sort(),
    );
    const stories = json<{ id: string; media: { id: string; file: string } }[]>("stories.json");
    expect(stories.map((s) => s.id)).to.deep.equal([story.body.id]);
    const storyFile = files.get(stories[0]?.media.file ?? "");
    expect(Buffer.compare(storyFile ?? Buffer.alloc(0), storyPhoto.bytes)).to.equal(0);
    // Nothing of Bob's own posts' files, nothing else.
    const mediaFiles = [...files.keys()].filter((name) => name.startsWith("media/"));
    expect(mediaFiles).to.have.length(5);

    // A signed link works only as it was handed out.
    const url = new URL(ready.url ?? "");
    const sig = url.searchParams.get("sig") ?? "";
    const tampered = (change: (u: URL) => void) => {
      const copy = new URL(url);
      change(copy);
      return fetch(copy);
    };
    const flipped = `${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`;
    for (const res of [
      await tampered((u) => u.searchParams.set("sig", flipped)),
      await tampered((u) => u.searchParams.set("exp", String(Number(u.searchParams.get("exp")) + 86_400))),
      await tampered((u) => u.searchParams.delete("sig")),
      await tampered((u) => (u.pathname = u.pathname.replace(ada.user.id, bob.user.id))),
      await fetch(new URL(bobsReady.url ?? "").pathname.replace(/^/, t.url) + url.search),
    ]) {
      expect(res.status).to.equal(403);
      expect(((await res.json()) as ErrorBody).error?.code).to.equal("INVALID_SIGNATURE");
    }

    // Another export may be asked for once this one is ready.
    const again = await startExport(ada);
    expect(again.status).to.equal(202);
    await waitReady(ada);
  });

  it("expires an archive after seven days: the link is refused, then the sweep deletes it", async () => {
    const cy = await signup(t.url);
    expect((await startExport(cy)).status).to.equal(202);
    const ready = await waitReady(cy);
    expect((await fetch(ready.url ?? "")).status).to.equal(200);
    const exports = t.node.app.exports;
    if (!exports) throw new Error("the node has no exports");
    expect(await exports.sweepExpired()).to.equal(0);
    try {
      offsetMs = 7 * 86_400_000 + 60_000;
      const expired = await fetch(ready.url ?? "");
      expect(expired.status).to.equal(403);
      expect(await exports.sweepExpired()).to.be.greaterThan(0);
    } finally {
      offsetMs = 0;
    }
    expect((await status(cy)).status).to.equal(404);
    // The blob is gone too: even a valid signature finds nothing.
    const key = new URL(ready.url ?? "").pathname.slice(1);
    expect(await t.node.app.blobs?.head(key)).to.equal(undefined);
  });

  it("rebuilds a job that a node left half made once its lease lapsed", async () => {
    const dee = await signup(t.url);
    const store = t.node.app.store;
    if (!store) throw new Error("the node has no store");
    // What a node that died mid-archive leaves: a running job, its queue row and the user's lock; its lease lapsed.
    const exportId = await t.node.app.ids.next();
    const at = new Date();
    await store.insertIfAbsent(exportActive, { user_id: dee.user.id, export_id: exportId });
    await store.put(exportQueue, {
      shard: Number(BigInt(exportId) % 4n),
      export_id: exportId,
      user_id: dee.user.id,
      queued_at: at,
    });
    await store.put(exportJobs, {
      user_id: dee.user.id,
      export_id: exportId,
      state: "running",
      attempts: 1,
      done: 3,
      total: 9,
      created_at: at,
      started_at: at,
    });
    const refused = await startExport(dee);
    expect(refused.status).to.equal(409);
    // Nobody kicks: the periodic sweep finds it.
    const ready = await waitReady(dee);
    expect(ready.id).to.equal(exportId);
    const files = await unzip(Buffer.from(await (await fetch(ready.url ?? "")).arrayBuffer()));
    expect(JSON.parse(files.get("profile.json")?.toString() ?? "{}")).to.include({ username: dee.username });
  });
});

/** Every entry of a zip, read with yauzl (a reader of its own, not the writer's library). */
function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (err, file) => {
      if (err) return reject(err);
      const entries = new Map<string, Buffer>();
      file.on("error", reject);
      file.on("end", () => resolve(entries));
      file.on("entry", (entry: yauzl.Entry) => {
        file.openReadStream(entry, (streamErr, stream) => {
          if (streamErr) return reject(streamErr);
          const chunks: Buffer[] = [];
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("error", reject);
          stream.on("end", () => {
            if (entries.has(entry.fileName)) return reject(new Error(`${entry.fileName} twice in the zip`));
            entries.set(entry.fileName, Buffer.concat(chunks));
            file.readEntry();
          });
        });
      });
      file.readEntry();
    });
  });
}
