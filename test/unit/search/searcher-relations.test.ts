import { expect } from "chai";
import type { GraphRelationship } from "../../../lib/graph";
import { MAX_RELATIONS, SearcherRelations } from "../../../lib/search/searcher-relations";

const NONE: GraphRelationship = {
  following: false,
  followedBy: false,
  requested: false,
  blocking: false,
  blockedBy: false,
};

/** A graph that answers from plain lists and counts what it was asked. */
class ListedGraph {
  changes = 0;
  blocked: string[] = [];
  followed: string[] = [];
  walks = 0;
  asked: { targetId: string; known: { following: boolean } | undefined }[] = [];

  changesOf(): Promise<number> {
    return Promise.resolve(this.changes);
  }

  blockedEitherWayIds(): Promise<string[]> {
    this.walks++;
    return Promise.resolve([...this.blocked]);
  }

  followingIds(): Promise<string[]> {
    this.walks++;
    return Promise.resolve([...this.followed]);
  }

  relationship(
    _viewerId: string,
    targetId: string,
    known?: { following: boolean },
  ): Promise<GraphRelationship> {
    this.asked.push({ targetId, known });
    return Promise.resolve({ ...NONE, following: this.followed.includes(targetId) });
  }
}

describe("SearcherRelations", () => {
  it("walks the caller's lists once while their change count stays, and again after a change", async () => {
    const graph = new ListedGraph();
    graph.followed = ["f1"];
    const relations = new SearcherRelations(graph);

    expect((await relations.of("me")).lists).to.deep.include({ excludeIds: [], followedIds: ["f1"] });
    await relations.of("me");
    expect(graph.walks, "both lists, once").to.equal(2);

    graph.blocked = ["b1"];
    graph.changes++;
    expect((await relations.of("me")).lists).to.deep.include({ excludeIds: ["b1"], followedIds: ["f1"] });
    expect(graph.walks).to.equal(4);
  });

  it("asks each person's relationship once per change count, telling the graph only whom the caller follows", async () => {
    const graph = new ListedGraph();
    graph.followed = ["f1"];
    graph.blocked = ["b1"];
    const relations = new SearcherRelations(graph);

    const edges = await relations.of("me");
    expect(await edges.relationship("me", "f1")).to.include({ following: true });
    await edges.relationship("me", "f1");
    await (await relations.of("me")).relationship("me", "f1");
    await edges.relationship("me", "b1");
    // Blocks are never taken from the block list: the graph reads their deciding rows.
    expect(graph.asked).to.deep.equal([
      { targetId: "f1", known: { following: true } },
      { targetId: "b1", known: { following: false } },
    ]);

    graph.changes++;
    await (await relations.of("me")).relationship("me", "f1");
    expect(graph.asked, "asked again after a change").to.have.length(3);
  });

  it("walks long lists again for each search instead of keeping them", async () => {
    const graph = new ListedGraph();
    graph.followed = Array.from({ length: 501 }, (_, i) => `f${i}`);
    const relations = new SearcherRelations(graph);
    await relations.of("me");
    await relations.of("me");
    expect(graph.walks).to.equal(4);
    expect((await relations.of("me")).lists.followed?.has("f500")).to.equal(true);
  });

  it("settles nothing from a list cut at the cap", async () => {
    const graph = new ListedGraph();
    graph.followed = Array.from({ length: MAX_RELATIONS }, (_, i) => `f${i}`);
    const relations = new SearcherRelations(graph);
    await (await relations.of("me")).relationship("me", "someone");
    expect(graph.asked).to.deep.equal([{ targetId: "someone", known: undefined }]);
  });

  it("walks again after a failed walk", async () => {
    const graph = new ListedGraph();
    let down = true;
    const failing = Object.assign(Object.create(graph) as ListedGraph, {
      followingIds: () => (down ? Promise.reject(new Error("store down")) : Promise.resolve(["f1"])),
    });
    const relations = new SearcherRelations(failing);
    const failed = await relations.of("me").then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).to.be.instanceOf(Error);
    down = false;
    expect((await relations.of("me")).lists.followedIds).to.deep.equal(["f1"]);
  });
});
