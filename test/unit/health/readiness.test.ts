import { expect } from "chai";
import { GATEWAY_DEPENDENCIES } from "../../../broker/readiness";
import { assessReadiness, type ReadinessProbes } from "../../../lib/health/readiness";
import { apiRoutes } from "../../../services/gateway/routes";

const yes = () => Promise.resolve(true);
const no = () => Promise.resolve(false);

describe("readiness", () => {
  it("is ready on an embedded node whose store and blobs answer, with nothing missing", async () => {
    const report = await assessReadiness({ brokerStarted: true, store: yes, blobs: yes });
    expect(report).to.deep.equal({
      ready: true,
      checks: { broker: true, store: true, blobs: true },
      missing: [],
      degraded: [],
    });
  });

  it("is not ready on a gateway while an action its routes call has no live endpoint, and names it", async () => {
    const hosted = new Set(["users.signup", "users.me"]);
    const report = await assessReadiness({
      brokerStarted: true,
      transporter: yes,
      actions: {
        required: ["users.signup", "users.me", "timeline.feed", "posts.create", "timeline.feed"],
        isAvailable: (action) => hosted.has(action),
      },
    });
    expect(report.ready).to.equal(false);
    expect(report.checks).to.deep.equal({ broker: true, transporter: true, actions: false });
    expect(report.missing).to.deep.equal(["actions:timeline.feed", "actions:posts.create"]);

    hosted.add("timeline.feed").add("posts.create");
    const later = await assessReadiness({
      brokerStarted: true,
      transporter: yes,
      actions: { required: [...hosted], isAvailable: (action) => hosted.has(action) },
    });
    expect(later.ready).to.equal(true);
    expect(later.checks.actions).to.equal(true);
  });

  it("is not ready while the transporter does not answer, or while the broker has not started", async () => {
    const base: ReadinessProbes = { brokerStarted: true, store: yes };
    const cut = await assessReadiness({ ...base, transporter: no });
    expect(cut.ready).to.equal(false);
    expect(cut.checks.transporter).to.equal(false);
    expect(cut.missing).to.deep.equal(["transporter"]);

    const starting = await assessReadiness({ ...base, brokerStarted: false });
    expect(starting.ready).to.equal(false);
    expect(starting.missing).to.deep.equal(["broker"]);
  });

  it("counts a probe that throws as failing", async () => {
    const report = await assessReadiness({
      brokerStarted: true,
      store: () => Promise.reject(new Error("closed")),
      blobs: yes,
    });
    expect(report.ready).to.equal(false);
    expect(report.checks.store).to.equal(false);
    expect(report.missing).to.deep.equal(["store"]);
  });

  it("stays ready with Redis down, noting it as degraded", async () => {
    const report = await assessReadiness({ brokerStarted: true, store: yes, redis: () => false });
    expect(report.ready).to.equal(true);
    expect(report.checks.redis).to.equal(false);
    expect(report.degraded).to.deep.equal(["redis"]);
    const up = await assessReadiness({ brokerStarted: true, redis: () => true });
    expect(up.checks.redis).to.equal(true);
    expect(up.degraded).to.deep.equal([]);
  });

  it("requires of a gateway every action of its route table, the token check and the stream replay", () => {
    const routeActions = Object.values(apiRoutes).map((route) => route.action);
    expect(GATEWAY_DEPENDENCIES).to.include.members([...routeActions, "users.authenticate", "inbox.replay"]);
    expect(GATEWAY_DEPENDENCIES).to.include("timeline.feed");
    expect(new Set(GATEWAY_DEPENDENCIES).size).to.equal(GATEWAY_DEPENDENCIES.length);
  });
});
