import { expect } from "chai";
import { ActorMemory } from "../../../lib/concurrency/actor-memory";
import { NodeMetrics } from "../../../lib/metrics";
import { scrape } from "./scrape";

describe("the actor metrics", () => {
  it("report the actors held, those rebuilt from the store and the resets, per kind of actor", async () => {
    let clock = 0;
    const timelines = new ActorMemory<string>(10, () => clock, 1_000);
    const inboxes = new ActorMemory<string>(10, () => clock, 1_000);
    const metrics = new NodeMetrics();
    metrics.actors.watch("timeline", timelines);
    metrics.actors.watch("inbox", inboxes);
    const build = (state: string) => () => Promise.resolve(state);

    await timelines.load("ada", build("a"));
    await timelines.load("bob", build("b"));
    await timelines.load("ada", build("never built: ada is held"));
    await inboxes.load("ada", build("a"));
    let samples = await scrape(metrics);
    expect(samples.get('mosaic_actors_held{actor="timeline"}')).to.equal(2);
    expect(samples.get('mosaic_actor_rebuilds_total{actor="timeline"}')).to.equal(2);
    expect(samples.get('mosaic_actors_held{actor="inbox"}')).to.equal(1);
    expect(samples.get('mosaic_actor_rebuilds_total{actor="inbox"}')).to.equal(1);
    expect(samples.get('mosaic_actor_resets_total{actor="timeline"}')).to.equal(0);

    // The ring changed: everything is dropped, and for a while every read rebuilds without keeping it.
    timelines.forgetAll();
    await timelines.load("ada", build("a"));
    await timelines.load("ada", build("a"));
    samples = await scrape(metrics);
    expect(samples.get('mosaic_actors_held{actor="timeline"}')).to.equal(0);
    expect(samples.get('mosaic_actor_rebuilds_total{actor="timeline"}')).to.equal(4);
    expect(samples.get('mosaic_actor_resets_total{actor="timeline"}')).to.equal(1);
    expect(samples.get('mosaic_actor_resets_total{actor="inbox"}')).to.equal(0);

    clock += 1_000;
    await timelines.load("ada", build("a"));
    samples = await scrape(metrics);
    expect(samples.get('mosaic_actors_held{actor="timeline"}')).to.equal(1);
    expect(samples.get('mosaic_actor_rebuilds_total{actor="timeline"}')).to.equal(5);
  });
});
