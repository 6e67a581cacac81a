import { appErrorOf as rejectionOf } from "../../support/rejections";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { userCounts } from "../../../lib/accounts/tables";
import { KeyedLock } from "../../../lib/concurrency/keyed-lock";
import { Graph, graphTables } from "../../../lib/graph";
import {
  followRequests,
  followRequestsList,
  followers as followersTable,
  following as followingTable,
  followersList,
  followingList,
  requestsSent,
  blocks,
  blockedBy,
} from "../../../lib/graph/tables";
import { SnowflakeGenerator } from "../../../lib/ids";
import { LevelStore } from "../../../lib/store/level";
import { listBuckets } from "../../../lib/validation/bucketed-list";
import { every } from "../../../lib/validation/time-buckets";

const PUBLIC = false;
const PRIVATE = true;

describe("Graph", () => {
  let dir: string;
  let store: LevelStore;
  let graph: Graph;
  const userIds = new SnowflakeGenerator({ workerId: 900 });

  const newUser = (): Promise<string> => userIds.next();
  const newUsers = (n: number): Promise<string[]> => Promise.all(Array.from({ length: n }, newUser));
  const pub = (id: string) => ({ id, isPrivate: PUBLIC });
  const priv = (id: string) => ({ id, isPrivate: PRIVATE });

  async function counts(userId: string): Promise<{ followers: number; following: number }> {
    const row = await store.get(userCounts, { user_id: userId });
    return { followers: row?.followers ?? 0, following: row?.following ?? 0 };
  }

  async function allFollowers(userId: string, limit = 100): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await graph.followers(userId, { limit, ...(cursor !== undefined && { cursor }) });
      ids.push(...page.ids);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return ids;
  }

  async function allFollowing(userId: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await graph.following(userId, { limit: 100, ...(cursor !== undefined && { cursor }) });
      ids.push(...page.ids);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return ids;
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "mosaic-graph-"));
    store = new LevelStore({ path: path.join(dir, "db") });
    await store.open([...graphTables, userCounts]);
    graph = new Graph({ store, ids: new SnowflakeGenerator({ workerId: 1 }) });
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe("follow and unfollow", () => {
    it("moves both users' change counts with every change of their edges, so readers who keep them know", async () => {
      const [a = "", b = ""] = await newUsers(2);
      const moved = async (change: () => Promise<unknown>) => {
        const before = [await graph.changesOf(a), await graph.changesOf(b)];
        await change();
        const after = [await graph.changesOf(a), await graph.changesOf(b)];
        return after.map((n, i) => n !== before[i]);
      };
      expect(await moved(() => graph.follow(a, pub(b)))).to.deep.equal([true, true]);
      expect(await moved(() => graph.unfollow(a, b))).to.deep.equal([true, true]);
      expect(await moved(() => graph.follow(b, priv(a)))).to.deep.equal([true, true]);
      expect(await moved(() => graph.approve(a, b))).to.deep.equal([true, true]);
      expect(await moved(() => graph.block(a, b))).to.deep.equal([true, true]);
      expect(await moved(() => graph.unblock(a, b))).to.deep.equal([true, true]);
    });

    it("follows a public account at once, counting and listing both sides", async () => {
      const [a, b] = await newUsers(2);
      expect(await graph.follow(a!, pub(b!))).to.deep.equal({ state: "following" });
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 1 });
      expect(await counts(b!)).to.deep.equal({ followers: 1, following: 0 });
      expect(await allFollowing(a!)).to.deep.equal([b]);
      expect(await allFollowers(b!)).to.deep.equal([a]);
      expect(await allFollowers(a!)).to.deep.equal([]);
      expect(await graph.isFollowing(a!, b!)).to.equal(true);
      expect(await graph.isFollowing(b!, a!)).to.equal(false);
    });

    it("unfollows: rows, lists and counts go back to nothing", async () => {
      const [a, b] = await newUsers(2);
      await graph.follow(a!, pub(b!));
      expect(await graph.unfollow(a!, b!)).to.deep.equal({ state: "none" });
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 0 });
      expect(await counts(b!)).to.deep.equal({ followers: 0, following: 0 });
      expect(await allFollowing(a!)).to.deep.equal([]);
      expect(await allFollowers(b!)).to.deep.equal([]);
      expect(await graph.isFollowing(a!, b!)).to.equal(false);
      expect(await store.get(followersTable, { user_id: b!, follower_id: a! })).to.equal(undefined);
      expect(await store.get(followingTable, { user_id: a!, followee_id: b! })).to.equal(undefined);
    });

    it("unfollowing a stranger, or twice, changes nothing and never counts below zero", async () => {
      const [a, b, c] = await newUsers(3);
      await graph.follow(c!, pub(b!));
      expect(await graph.unfollow(a!, b!)).to.deep.equal({ state: "none" });
      await graph.follow(a!, pub(b!));
      await graph.unfollow(a!, b!);
      await graph.unfollow(a!, b!);
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 0 });
      expect(await counts(b!)).to.deep.equal({ followers: 1, following: 0 });
      expect(await allFollowers(b!)).to.deep.equal([c]);
    });

    it("following twice counts and lists once", async () => {
      const [a, b] = await newUsers(2);
      await graph.follow(a!, pub(b!));
      expect(await graph.follow(a!, pub(b!))).to.deep.equal({ state: "following" });
      expect(await counts(b!)).to.deep.equal({ followers: 1, following: 0 });
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 1 });
      expect(await allFollowers(b!)).to.deep.equal([a]);
      expect(await allFollowing(a!)).to.deep.equal([b]);
    });

    it("20 concurrent follows of the same pair count once", async () => {
      const [a, b] = await newUsers(2);
      const results = await Promise.all(Array.from({ length: 20 }, () => graph.follow(a!, pub(b!))));
      expect(results.every((r) => r.state === "following")).to.equal(true);
      expect(await counts(b!)).to.deep.equal({ followers: 1, following: 0 });
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 1 });
      expect(await allFollowers(b!)).to.deep.equal([a]);
      expect((await followingList.walk(store, a!, { limit: 1000 })).rows).to.have.length(1);
    });

    it("interleaved concurrent follows and unfollows keep the counts equal to the edges", async () => {
      const [a, b] = await newUsers(2);
      const ops = Array.from({ length: 30 }, (_, i) =>
        i % 2 === 0 ? graph.follow(a!, pub(b!)) : graph.unfollow(a!, b!),
      );
      await Promise.all(ops);
      const edge = await graph.isFollowing(a!, b!);
      const expected = edge ? 1 : 0;
      expect(await counts(b!)).to.deep.equal({ followers: expected, following: 0 });
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: expected });
      expect(await allFollowers(b!)).to.have.length(expected);
    });

    it("20 concurrent unfollows of the same pair uncount once", async () => {
      const [a, b] = await newUsers(2);
      await graph.follow(a!, pub(b!));
      await Promise.all(Array.from({ length: 20 }, () => graph.unfollow(a!, b!)));
      expect(await counts(b!)).to.deep.equal({ followers: 0, following: 0 });
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 0 });
    });

    it("refuses to follow yourself", async () => {
      const a = await newUser();
      const error = await rejectionOf(graph.follow(a, pub(a)));
      expect(error.status).to.equal(400);
      expect(error.code).to.equal("CANNOT_FOLLOW_SELF");
      expect(await counts(a)).to.deep.equal({ followers: 0, following: 0 });
    });

    it("lists newest first, on both sides", async () => {
      const [b, ...fans] = await newUsers(5);
      for (const fan of fans) await graph.follow(fan, pub(b!));
      for (const target of fans) await graph.follow(b!, pub(target));
      expect(await allFollowers(b!)).to.deep.equal([...fans].reverse());
      expect(await allFollowing(b!)).to.deep.equal([...fans].reverse());
    });

    it("a follow again after an unfollow moves to the head of the list", async () => {
      const [b, x, y] = await newUsers(3);
      await graph.follow(x!, pub(b!));
      await graph.follow(y!, pub(b!));
      await graph.unfollow(x!, b!);
      await graph.follow(x!, pub(b!));
      expect(await allFollowers(b!)).to.deep.equal([x, y]);
      expect(await counts(b!)).to.deep.equal({ followers: 2, following: 0 });
    });
  });

  describe("private accounts", () => {
    it("a follow becomes a request, once, that the owner lists", async () => {
      const [a, p] = await newUsers(2);
      expect(await graph.follow(a!, priv(p!))).to.deep.equal({ state: "requested" });
      expect(await graph.follow(a!, priv(p!))).to.deep.equal({ state: "requested" });
      expect(await graph.listRequests(p!, { limit: 10 })).to.deep.equal({ ids: [a], nextCursor: null });
      expect(await counts(p!)).to.deep.equal({ followers: 0, following: 0 });
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 0 });
      expect(await graph.isFollowing(a!, p!)).to.equal(false);
      expect(await graph.canSeePrivate(a!, p!)).to.equal(false);
      expect(await allFollowers(p!)).to.deep.equal([]);
      expect(await store.get(requestsSent, { user_id: a!, target_id: p! })).to.not.equal(undefined);
    });

    it("lists requests newest first, paged", async () => {
      const [p, ...requesters] = await newUsers(6);
      for (const r of requesters) await graph.follow(r, priv(p!));
      const first = await graph.listRequests(p!, { limit: 3 });
      expect(first.ids).to.deep.equal(requesters.slice(2).reverse());
      expect(first.nextCursor).to.be.a("string");
      const second = await graph.listRequests(p!, { limit: 3, cursor: first.nextCursor! });
      expect(second.ids).to.deep.equal(requesters.slice(0, 2).reverse());
      expect(second.nextCursor).to.equal(null);
    });

    it("approve turns the request into a follow, with counts", async () => {
      const [a, p] = await newUsers(2);
      await graph.follow(a!, priv(p!));
      expect(await graph.approve(p!, a!)).to.deep.equal({ state: "following" });
      expect(await graph.isFollowing(a!, p!)).to.equal(true);
      expect(await graph.canSeePrivate(a!, p!)).to.equal(true);
      expect(await counts(p!)).to.deep.equal({ followers: 1, following: 0 });
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 1 });
      expect(await allFollowers(p!)).to.deep.equal([a]);
      expect((await graph.listRequests(p!, { limit: 10 })).ids).to.deep.equal([]);
      expect(await store.get(requestsSent, { user_id: a!, target_id: p! })).to.equal(undefined);
      expect((await graph.relationship(a!, p!)).requested).to.equal(false);
      // An approved follower following again stays a follower, counted once.
      expect(await graph.follow(a!, priv(p!))).to.deep.equal({ state: "following" });
      expect(await counts(p!)).to.deep.equal({ followers: 1, following: 0 });
    });

    it("approving a request that is not there is REQUEST_NOT_FOUND", async () => {
      const [a, p] = await newUsers(2);
      const error = await rejectionOf(graph.approve(p!, a!));
      expect(error.status).to.equal(404);
      expect(error.code).to.equal("REQUEST_NOT_FOUND");
      await graph.follow(a!, priv(p!));
      await graph.approve(p!, a!);
      expect((await rejectionOf(graph.approve(p!, a!))).code).to.equal("REQUEST_NOT_FOUND");
      expect(await counts(p!)).to.deep.equal({ followers: 1, following: 0 });
    });

    it("reject drops the request, and nothing is counted; a request not there (any more) is 404", async () => {
      const [a, b, p] = await newUsers(3);
      await graph.follow(a!, priv(p!));
      await graph.follow(b!, priv(p!));
      await graph.reject(p!, a!);
      expect((await rejectionOf(graph.reject(p!, a!))).code).to.equal("REQUEST_NOT_FOUND");
      for (const stranger of [await newUser(), p!]) {
        const error = await rejectionOf(graph.reject(p!, stranger));
        expect([error.status, error.code]).to.deep.equal([404, "REQUEST_NOT_FOUND"]);
      }
      expect((await graph.listRequests(p!, { limit: 10 })).ids).to.deep.equal([b]);
      expect(await store.get(requestsSent, { user_id: a!, target_id: p! })).to.equal(undefined);
      expect(await graph.relationship(a!, p!)).to.include({ requested: false, following: false });
      expect(await graph.isFollowing(a!, p!)).to.equal(false);
      expect(await counts(p!)).to.deep.equal({ followers: 0, following: 0 });
      expect((await rejectionOf(graph.approve(p!, a!))).code).to.equal("REQUEST_NOT_FOUND");
      expect(await graph.follow(a!, priv(p!))).to.deep.equal({ state: "requested" });
    });

    it("unfollow withdraws a pending request", async () => {
      const [a, p] = await newUsers(2);
      await graph.follow(a!, priv(p!));
      expect(await graph.unfollow(a!, p!)).to.deep.equal({ state: "none" });
      expect((await graph.listRequests(p!, { limit: 10 })).ids).to.deep.equal([]);
      expect((await followRequestsList.walk(store, p!, { limit: 1000 })).rows).to.deep.equal([]);
      expect(await store.get(requestsSent, { user_id: a!, target_id: p! })).to.equal(undefined);
      expect((await graph.relationship(a!, p!)).requested).to.equal(false);
      expect(await counts(p!)).to.deep.equal({ followers: 0, following: 0 });
    });

    it("a follow of an account gone public clears its stale request", async () => {
      const [a, p] = await newUsers(2);
      await graph.follow(a!, priv(p!));
      expect(await graph.follow(a!, pub(p!))).to.deep.equal({ state: "following" });
      expect((await graph.listRequests(p!, { limit: 10 })).ids).to.deep.equal([]);
      expect(await store.get(requestsSent, { user_id: a!, target_id: p! })).to.equal(undefined);
      expect(await counts(p!)).to.deep.equal({ followers: 1, following: 0 });
    });

    it("the owner can always see their own private account", async () => {
      const [p, stranger] = await newUsers(2);
      expect(await graph.canSeePrivate(p!, p!)).to.equal(true);
      expect(await graph.canSeePrivate(stranger!, p!)).to.equal(false);
    });
  });

  describe("blocks", () => {
    it("removes follows both ways with their counts, and leaves other edges alone", async () => {
      const [a, b, c] = await newUsers(3);
      await graph.follow(a!, pub(b!));
      await graph.follow(b!, pub(a!));
      await graph.follow(c!, pub(a!));
      await graph.follow(c!, pub(b!));
      await graph.block(a!, b!);
      expect(await graph.isFollowing(a!, b!)).to.equal(false);
      expect(await graph.isFollowing(b!, a!)).to.equal(false);
      expect(await counts(a!)).to.deep.equal({ followers: 1, following: 0 });
      expect(await counts(b!)).to.deep.equal({ followers: 1, following: 0 });
      expect(await allFollowers(a!)).to.deep.equal([c]);
      expect(await allFollowers(b!)).to.deep.equal([c]);
      expect(await allFollowing(a!)).to.deep.equal([]);
      expect(await allFollowing(b!)).to.deep.equal([]);
      expect(await store.get(blockedBy, { user_id: b!, blocker_id: a! })).to.not.equal(undefined);
      // Blocking again changes nothing, and does not uncount again.
      await graph.block(a!, b!);
      expect(await counts(a!)).to.deep.equal({ followers: 1, following: 0 });
    });

    it("removes pending requests both ways", async () => {
      const [a, b] = await newUsers(2);
      await graph.follow(a!, priv(b!));
      await graph.follow(b!, priv(a!));
      await graph.block(b!, a!);
      expect((await graph.listRequests(a!, { limit: 10 })).ids).to.deep.equal([]);
      expect((await graph.listRequests(b!, { limit: 10 })).ids).to.deep.equal([]);
      expect(await store.get(requestsSent, { user_id: a!, target_id: b! })).to.equal(undefined);
      expect(await store.get(requestsSent, { user_id: b!, target_id: a! })).to.equal(undefined);
      expect((await rejectionOf(graph.approve(b!, a!))).code).to.equal("REQUEST_NOT_FOUND");
    });

    it("hides each from the other: a follow either way is USER_NOT_FOUND", async () => {
      const [a, b] = await newUsers(2);
      await graph.block(a!, b!);
      for (const [from, to] of [
        [a!, b!],
        [b!, a!],
      ] as const) {
        for (const target of [pub(to), priv(to)]) {
          const error = await rejectionOf(graph.follow(from, target));
          expect(error.status).to.equal(404);
          expect(error.code).to.equal("USER_NOT_FOUND");
        }
      }
      expect(await graph.isBlockedEitherWay(a!, b!)).to.equal(true);
      expect(await graph.isBlockedEitherWay(b!, a!)).to.equal(true);
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 0 });
      expect((await graph.listRequests(b!, { limit: 10 })).ids).to.deep.equal([]);
    });

    it("refuses to block yourself", async () => {
      const a = await newUser();
      const error = await rejectionOf(graph.block(a, a));
      expect(error.status).to.equal(400);
      expect(error.code).to.equal("CANNOT_BLOCK_SELF");
      expect(await graph.relationship(a, a)).to.include({ blocking: false });
    });

    it("unblock lets them follow again but does not restore the old follows", async () => {
      const [a, b] = await newUsers(2);
      await graph.follow(b!, pub(a!));
      await graph.block(a!, b!);
      await graph.unblock(a!, b!);
      await graph.unblock(a!, b!);
      expect(await graph.isBlockedEitherWay(a!, b!)).to.equal(false);
      expect(await store.get(blockedBy, { user_id: b!, blocker_id: a! })).to.equal(undefined);
      expect(await graph.isFollowing(b!, a!)).to.equal(false);
      expect(await graph.follow(b!, pub(a!))).to.deep.equal({ state: "following" });
      expect(await counts(a!)).to.deep.equal({ followers: 1, following: 0 });
    });

    it("a block by each side needs both unblocks", async () => {
      const [a, b] = await newUsers(2);
      await graph.block(a!, b!);
      await graph.block(b!, a!);
      await graph.unblock(a!, b!);
      expect(await graph.isBlockedEitherWay(a!, b!)).to.equal(true);
      expect((await rejectionOf(graph.follow(a!, pub(b!)))).code).to.equal("USER_NOT_FOUND");
      await graph.unblock(b!, a!);
      expect(await graph.isBlockedEitherWay(a!, b!)).to.equal(false);
    });

    it("a block waits for a follow of the same pair in flight, then removes it", async () => {
      const [a, b] = await newUsers(2);
      // A store whose follow inserts are slow, so the block arrives between the follow's check and its write.
      const slow = new Proxy(store, {
        get(target, property, receiver) {
          if (property === "insertIfAbsent") {
            return async (...args: Parameters<LevelStore["insertIfAbsent"]>) => {
              await new Promise((resolve) => setTimeout(resolve, 30));
              return target.insertIfAbsent(...args);
            };
          }
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const racing = new Graph({ store: slow, ids: new SnowflakeGenerator({ workerId: 2 }) });
      const follow = racing.follow(a!, pub(b!));
      await new Promise((resolve) => setTimeout(resolve, 5));
      await racing.block(b!, a!);
      expect(await follow).to.deep.equal({ state: "following" });
      expect(await graph.isFollowing(a!, b!)).to.equal(false);
      expect(await counts(b!)).to.deep.equal({ followers: 0, following: 0 });
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 0 });
    });

    it("a block racing follows of the same pair leaves no edge and no count", async () => {
      const [a, b] = await newUsers(2);
      const follows = Array.from({ length: 10 }, (_, i) =>
        graph.follow(i % 2 === 0 ? a! : b!, pub(i % 2 === 0 ? b! : a!)).catch((e: unknown) => e),
      );
      await Promise.all([...follows.slice(0, 5), graph.block(a!, b!), ...follows.slice(5)]);
      expect(await graph.relationship(a!, b!)).to.deep.equal({
        following: false,
        followedBy: false,
        requested: false,
        blocking: true,
        blockedBy: false,
      });
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 0 });
      expect(await counts(b!)).to.deep.equal({ followers: 0, following: 0 });
    });
  });

  describe("tables", () => {
    it("keys every lookup row by its pair of users, so no partition grows with a user's edges", () => {
      for (const table of [followingTable, followersTable, followRequests, requestsSent, blocks, blockedBy]) {
        expect(table.name, table.name).to.match(/_by_pair$/);
        expect(table.partitionKey, table.name).to.have.length(2);
        expect(table.clustering, table.name).to.deep.equal([]);
      }
      // The deciding rows are taken and dropped with lightweight transactions only.
      expect([followingTable.conditional, followRequests.conditional]).to.deep.equal([true, true]);
    });
  });

  describe("relationship", () => {
    const none = { following: false, followedBy: false, requested: false, blocking: false, blockedBy: false };

    it("answers every state from both sides", async () => {
      const [a, b] = await newUsers(2);
      expect(await graph.relationship(a!, b!)).to.deep.equal(none);

      await graph.follow(a!, pub(b!));
      expect(await graph.relationship(a!, b!)).to.deep.equal({ ...none, following: true });
      expect(await graph.relationship(b!, a!)).to.deep.equal({ ...none, followedBy: true });

      await graph.follow(b!, pub(a!));
      expect(await graph.relationship(a!, b!)).to.deep.equal({ ...none, following: true, followedBy: true });

      await graph.unfollow(a!, b!);
      await graph.unfollow(b!, a!);
      await graph.follow(a!, priv(b!));
      expect(await graph.relationship(a!, b!)).to.deep.equal({ ...none, requested: true });
      expect(await graph.relationship(b!, a!)).to.deep.equal(none);

      await graph.block(a!, b!);
      expect(await graph.relationship(a!, b!)).to.deep.equal({ ...none, blocking: true });
      expect(await graph.relationship(b!, a!)).to.deep.equal({ ...none, blockedBy: true });

      await graph.unblock(a!, b!);
      expect(await graph.relationship(a!, b!)).to.deep.equal(none);
      expect(await graph.relationship(b!, a!)).to.deep.equal(none);
    });

    it("is all false for yourself", async () => {
      const a = await newUser();
      expect(await graph.relationship(a, a)).to.deep.equal(none);
    });

    it("spares the follow row the caller already read, and reads every other deciding row", async () => {
      const [a, b] = await newUsers(2);
      await graph.follow(a!, pub(b!));
      await graph.follow(b!, pub(a!));
      const read: string[] = [];
      const counted = new Proxy(store, {
        get(target, property, receiver) {
          if (property === "get") {
            return (...args: Parameters<LevelStore["get"]>) => {
              read.push(args[0].name);
              return target.get(...args);
            };
          }
          const value: unknown = Reflect.get(target, property, receiver);
          return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const reading = new Graph({ store: counted, ids: new SnowflakeGenerator({ workerId: 3 }) });
      const both = { ...none, following: true, followedBy: true };

      expect(await reading.relationship(a!, b!)).to.deep.equal(both);
      expect(read.sort()).to.deep.equal([
        blocks.name,
        blocks.name,
        followRequests.name,
        followingTable.name,
        followingTable.name,
      ]);
      read.length = 0;
      expect(await reading.relationship(a!, b!, { following: true })).to.deep.equal(both);
      expect(read.sort(), "all but a's follow of b").to.deep.equal([
        blocks.name,
        blocks.name,
        followRequests.name,
        followingTable.name,
      ]);
    });
  });

  describe("paging", () => {
    it("pages 250 followers newest first with no repeat and no gap", async () => {
      const [b, ...fans] = await newUsers(251);
      for (const fan of fans) await graph.follow(fan, pub(b!));
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await graph.followers(b!, { limit: 100, ...(cursor !== undefined && { cursor }) });
        pages.push(page.ids);
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(pages.map((p) => p.length)).to.deep.equal([100, 100, 50]);
      expect(pages.flat()).to.deep.equal([...fans].reverse());
      expect(await counts(b!)).to.deep.equal({ followers: 250, following: 0 });
    });

    it("keeps its place while new follows arrive during paging", async () => {
      const [b, ...fans] = await newUsers(251);
      for (const fan of fans) await graph.follow(fan, pub(b!));
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await graph.followers(b!, { limit: 30, ...(cursor !== undefined && { cursor }) });
        seen.push(...page.ids);
        cursor = page.nextCursor ?? undefined;
        // Newcomers land at the head, before the cursor, so this walk neither sees them nor shifts.
        for (const late of await newUsers(3)) await graph.follow(late, pub(b!));
      } while (cursor !== undefined);
      expect(seen).to.deep.equal([...fans].reverse());
      expect(new Set(seen).size).to.equal(250);
      expect(await allFollowers(b!)).to.have.length(250 + 3 * Math.ceil(250 / 30));
    });

    it("pages the following list too", async () => {
      const [a, ...targets] = await newUsers(120);
      for (const t of targets) await graph.follow(a!, pub(t));
      const first = await graph.following(a!, { limit: 100 });
      const second = await graph.following(a!, { limit: 100, cursor: first.nextCursor! });
      expect([...first.ids, ...second.ids]).to.deep.equal([...targets].reverse());
      expect(second.nextCursor).to.equal(null);
    });

    it("refuses a cursor it did not hand out, or one of another list, as INVALID_CURSOR", async () => {
      const [a, b, ...fans] = await newUsers(5);
      for (const fan of fans) {
        await graph.follow(fan, pub(a!));
        await graph.follow(fan, pub(b!));
      }
      const page = await graph.followers(a!, { limit: 1 });
      expect(page.nextCursor).to.be.a("string");
      const token = page.nextCursor!;
      // Flip one bit of the key part: still valid base64url, but no longer the token that was handed out.
      const bytes = Buffer.from(token, "base64url");
      bytes[bytes.length - 1]! ^= 1;
      const tampered = bytes.toString("base64url");
      expect(tampered).to.not.equal(token);
      for (const attempt of [
        () => graph.followers(a!, { limit: 1, cursor: "garbage" }),
        () => graph.followers(a!, { limit: 1, cursor: tampered }),
        () => graph.followers(b!, { limit: 1, cursor: page.nextCursor! }),
        () => graph.following(fans[0]!, { limit: 1, cursor: page.nextCursor! }),
        () => graph.listRequests(a!, { limit: 1, cursor: page.nextCursor! }),
        () => graph.followerIdsPage(a!, "garbage"),
      ]) {
        const error = await rejectionOf(attempt());
        expect(error.status).to.equal(400);
        expect(error.code).to.equal("INVALID_CURSOR");
      }
    });

    it("refuses a limit outside 1..100", async () => {
      const a = await newUser();
      for (const limit of [0, 101, 1.5, Number.NaN]) {
        const error = await rejectionOf(graph.followers(a, { limit }));
        expect(error.code).to.equal("INVALID_LIMIT");
      }
    });

    it("followerIdsPage pages fan-out through every follower newest first, across buckets, keeping its place", async () => {
      // 20 ms buckets, so the followers spread over many partitions and pages cross from one to the next.
      const restore = followersList.shape.buckets.use(every(20));
      try {
        const [b, ...fans] = await newUsers(251);
        // Follow in an order unlike id order, to tell the time of the follow from the follower's id.
        const shuffled = [...fans].sort((x, y) => (x.endsWith("7") ? -1 : 0) - (y.endsWith("7") ? -1 : 0));
        for (const [i, fan] of shuffled.entries()) {
          await graph.follow(fan, pub(b!));
          if (i % 25 === 24) await new Promise((resolve) => setTimeout(resolve, 25));
        }
        const buckets = await store.slice(listBuckets, { list: "followers", owner_id: b! }, { limit: 1000 });
        expect(buckets.rows.length).to.be.greaterThan(9);
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await graph.followerIdsPage(b!, token, 100);
          seen.push(...page.ids);
          token = page.nextPageToken ?? undefined;
          pages += 1;
          // Followers who arrive while a fan-out runs sort before its place: neither reached nor shifting it.
          for (const late of await newUsers(2)) await graph.follow(late, pub(b!));
        } while (token !== undefined);
        expect(pages).to.equal(3);
        expect(seen).to.deep.equal([...shuffled].reverse());
        const all = await graph.followerIdsPage(b!);
        expect(all.ids).to.have.length(256);
        expect(all.nextPageToken).to.equal(null);
      } finally {
        restore();
      }
    });
  });

  describe("crash repair", () => {
    it("a recount skips list rows a crashed unfollow left, and counts a pair listed twice once", async () => {
      const [a, b, c] = await newUsers(3);
      await graph.follow(a!, pub(b!));
      await graph.follow(c!, pub(b!));
      // Both unfollows die right after their deciding rows: list rows and counts stay behind.
      await store.deleteIf(followingTable, { user_id: c!, followee_id: b! });
      await store.deleteIf(followingTable, { user_id: a!, followee_id: b! });
      // `a` follows again: a new edge, listed beside the one the crash left.
      await graph.follow(a!, pub(b!));
      expect(await allFollowers(b!)).to.deep.equal([a, c, a]);
      expect(await allFollowing(a!)).to.deep.equal([b, b]);
      expect(await counts(b!)).to.deep.equal({ followers: 3, following: 0 });
      expect(await graph.reconcileCounts(b!)).to.deep.equal({ followers: 1, following: 0 });
      expect(await graph.reconcileCounts(a!)).to.deep.equal({ followers: 0, following: 1 });
      expect(await graph.reconcileCounts(c!)).to.deep.equal({ followers: 0, following: 0 });
      expect(await counts(b!)).to.deep.equal({ followers: 1, following: 0 });
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 1 });
      expect(await counts(c!)).to.deep.equal({ followers: 0, following: 0 });
    });

    it("a recount walks every page of a long list", async () => {
      const [b, ...fans] = await newUsers(601);
      for (const fan of fans) await graph.follow(fan, pub(b!));
      await store.increment(userCounts, { user_id: b! }, { followers: -7 });
      expect(await graph.reconcileCounts(b!)).to.deep.equal({ followers: 600, following: 0 });
      expect(await counts(b!)).to.deep.equal({ followers: 600, following: 0 });
    });

    it("following again rewrites the rows a crashed follow left out, without counting", async () => {
      const [a, b] = await newUsers(2);
      // A follow that died right after its deciding row.
      await store.insertIfAbsent(followingTable, {
        user_id: a!,
        followee_id: b!,
        since: new Date(),
        edge_id: "123456789",
      });
      expect(await graph.follow(a!, pub(b!))).to.deep.equal({ state: "following" });
      expect(await store.get(followersTable, { user_id: b!, follower_id: a! })).to.include({
        edge_id: "123456789",
      });
      expect(await allFollowers(b!)).to.deep.equal([a]);
      expect(await allFollowing(a!)).to.deep.equal([b]);
      expect(await counts(b!)).to.deep.equal({ followers: 0, following: 0 });
      expect(await graph.reconcileCounts(b!)).to.deep.equal({ followers: 1, following: 0 });
      expect(await graph.reconcileCounts(a!)).to.deep.equal({ followers: 0, following: 1 });
      expect(await counts(b!)).to.deep.equal({ followers: 1, following: 0 });
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 1 });
    });

    it("unfollow cleans up what a crashed unfollow left, without uncounting again", async () => {
      const [a, b] = await newUsers(2);
      await graph.follow(a!, pub(b!));
      // An unfollow that died after its deciding row and before the counters.
      await store.deleteIf(followingTable, { user_id: a!, followee_id: b! });
      expect(await graph.isFollowing(a!, b!)).to.equal(false);
      await graph.unfollow(a!, b!);
      expect(await store.get(followersTable, { user_id: b!, follower_id: a! })).to.equal(undefined);
      expect((await followersList.walk(store, b!, { limit: 1000 })).rows).to.deep.equal([]);
      expect((await followingList.walk(store, a!, { limit: 1000 })).rows).to.deep.equal([]);
      expect(await counts(b!)).to.deep.equal({ followers: 1, following: 0 });
      await graph.reconcileCounts(b!);
      await graph.reconcileCounts(a!);
      expect(await counts(b!)).to.deep.equal({ followers: 0, following: 0 });
      expect(await counts(a!)).to.deep.equal({ followers: 0, following: 0 });
    });
  });
});

describe("KeyedLock", () => {
  it("runs tasks of one key one at a time, in order, and other keys alongside", async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const task = (name: string, ms: number) => async () => {
      events.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      events.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([
      lock.run("k", task("a1", 20)),
      lock.run("k", task("a2", 1)),
      lock.run("other", task("b", 1)),
    ]);
    expect(results).to.deep.equal(["a1", "a2", "b"]);
    expect(events.indexOf("start a2")).to.be.greaterThan(events.indexOf("end a1"));
    expect(events.indexOf("end b")).to.be.lessThan(events.indexOf("end a1"));
    expect(lock.size).to.equal(0);
  });

  it("moves on after a task fails", async () => {
    const lock = new KeyedLock();
    const failed = lock.run("k", () => Promise.reject(new Error("boom")));
    const next = lock.run("k", () => Promise.resolve(7));
    expect(await failed.catch((e: Error) => e.message)).to.equal("boom");
    expect(await next).to.equal(7);
    expect(lock.size).to.equal(0);
  });
});
