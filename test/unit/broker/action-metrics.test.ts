import { expect } from "chai";
import { ServiceBroker } from "moleculer";
import { Counter, Histogram } from "prom-client";
import { actionMetricsMiddleware } from "../../../broker/middlewares/action-metrics";
import { NodeMetrics } from "../../../lib/metrics";

/** The value of each series of a metric, keyed by its labels as `name=value,…`. */
async function seriesOf(metrics: NodeMetrics, name: string): Promise<Map<string, number>> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return new Map(
    values.map((value) => [
      Object.entries(value.labels)
        .map(([label, v]) => `${label}=${String(v)}`)
        .join(","),
      value.value,
    ]),
  );
}

/** Counts calls of a prototype method while the test runs. */
function countCalls(proto: object, method: string): { count: number; restore(): void } {
  const target = proto as Record<string, (...args: unknown[]) => unknown>;
  const original = target[method]!;
  const counter = {
    count: 0,
    restore: () => {
      target[method] = original;
    },
  };
  target[method] = function (this: unknown, ...args: unknown[]) {
    counter.count += 1;
    return original.apply(this, args);
  };
  return counter;
}

describe("the action metrics middleware", () => {
  let metrics: NodeMetrics;
  let broker: ServiceBroker;
  const labelCalls: { count: number; restore(): void }[] = [];

  beforeEach(async () => {
    labelCalls.push(countCalls(Counter.prototype, "labels"), countCalls(Histogram.prototype, "labels"));
    metrics = new NodeMetrics();
    broker = new ServiceBroker({
      logger: false,
      metrics: { enabled: false },
      middlewares: [actionMetricsMiddleware(metrics.actions, { skip: ["gateway.rest"] })],
    });
    broker.createService({
      name: "math",
      actions: {
        add: (ctx) => {
          const { a, b } = ctx.params as { a: number; b: number };
          return a + b;
        },
        fail: () => Promise.reject(new Error("no")),
      },
    });
    broker.createService({ name: "gateway", actions: { rest: () => "a whole HTTP request" } });
    await broker.start();
  });

  afterEach(async () => {
    await broker.stop();
    for (const spy of labelCalls.splice(0)) spy.restore();
  });

  it("counts calls by outcome and times them, skipping $node actions and the gateway's rest action", async () => {
    for (let i = 0; i < 3; i++) expect(await broker.call("math.add", { a: i, b: 1 })).to.equal(i + 1);
    for (let i = 0; i < 2; i++) {
      const failed = await broker.call("math.fail").then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failed).to.be.instanceOf(Error);
    }
    await broker.call("$node.list");
    await broker.call("gateway.rest");

    const calls = await seriesOf(metrics, "mosaic_action_calls_total");
    expect(calls.get("action=math.add,outcome=ok")).to.equal(3);
    expect(calls.get("action=math.fail,outcome=error")).to.equal(2);
    // Each action has its error series from the start, at 0, so that the first error is an increase.
    expect(calls.get("action=math.add,outcome=error")).to.equal(0);
    const actions = [...calls.keys()].map((labels) => labels.split(",")[0]);
    expect(actions.some((action) => action?.startsWith("action=$"))).to.equal(false);
    expect(actions).to.not.include("action=gateway.rest");

    const durations = await seriesOf(metrics, "mosaic_action_duration_seconds");
    expect(durations.get("action=math.add")).to.be.a("number");
    const text = await metrics.render();
    expect(text).to.match(/^mosaic_action_duration_seconds_count\{action="math\.add"\} 3$/m);
    expect(text).to.match(/^mosaic_action_duration_seconds_count\{action="math\.fail"\} 2$/m);
    expect(text).to.not.match(/action="\$node/);
  });

  it("binds each action's series once, when it is wrapped, not on every call", async () => {
    const [counterLabels, histogramLabels] = labelCalls;
    // Two measured actions: an ok and an error counter each, and one histogram.
    expect(counterLabels!.count).to.equal(4);
    expect(histogramLabels!.count).to.equal(2);
    for (let i = 0; i < 50; i++) await broker.call("math.add", { a: 1, b: 1 });
    await broker.call("math.fail").catch(() => undefined);
    expect(counterLabels!.count).to.equal(4);
    expect(histogramLabels!.count).to.equal(2);
  });

  it("reuses an action's series when its service is created again", async () => {
    const [counterLabels] = labelCalls;
    const math = broker.getLocalService("math");
    await broker.destroyService(math);
    broker.createService({ name: "math", actions: { add: () => 0, fail: () => 0 } });
    await broker.waitForServices("math", 2_000, 10);
    await broker.call("math.add", { a: 1, b: 1 });
    expect(counterLabels!.count).to.equal(4);
    expect((await seriesOf(metrics, "mosaic_action_calls_total")).get("action=math.add,outcome=ok")).to.equal(
      1,
    );
  });
});
