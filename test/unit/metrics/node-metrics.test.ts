import { expect } from "chai";
import os from "node:os";
import perfHooks from "node:perf_hooks";
import { NodeMetrics, processMetrics } from "../../../lib/metrics";

describe("a node's metrics", () => {
  it("include the process's event-loop lag, GC, CPU, memory and descriptors, prefixed mosaic_", async () => {
    const text = await new NodeMetrics().render();
    for (const name of [
      "mosaic_nodejs_eventloop_lag_seconds",
      "mosaic_nodejs_eventloop_lag_p99_seconds",
      "mosaic_nodejs_gc_duration_seconds",
      "mosaic_process_cpu_seconds_total",
      "mosaic_process_resident_memory_bytes",
      "mosaic_nodejs_heap_size_used_bytes",
      ...(process.platform === "linux" ? ["mosaic_process_open_fds", "mosaic_process_max_fds"] : []),
    ]) {
      expect(text, name).to.match(new RegExp(`^# TYPE ${name} `, "m"));
    }
    // Every metric is Mosaic's: nothing unprefixed from a global registry.
    const names = [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]);
    expect(names.filter((name) => !name?.startsWith("mosaic_"))).to.deep.equal([]);
    // Gauges named like counters are left out (promtool flags them).
    expect(
      names.filter((name) => name?.endsWith("_total") && !/ counter$/m.test(typeOf(text, name))),
    ).to.deep.equal([]);
  });

  it("share one set of process collectors however many nodes start in the process", async () => {
    // prom-client cannot stop what collectDefaultMetrics starts: a lag monitor and a GC observer per call.
    const hooks = perfHooks as unknown as Record<"monitorEventLoopDelay" | "PerformanceObserver", unknown>;
    const { monitorEventLoopDelay, PerformanceObserver } = hooks;
    // The first node of the process starts them; no other may.
    const before = processMetrics();
    let started = 0;
    hooks.monitorEventLoopDelay = new Proxy(monitorEventLoopDelay as typeof perfHooks.monitorEventLoopDelay, {
      apply(target, self, args: Parameters<typeof perfHooks.monitorEventLoopDelay>) {
        started += 1;
        return Reflect.apply(target, self, args);
      },
    });
    hooks.PerformanceObserver = new Proxy(PerformanceObserver as typeof perfHooks.PerformanceObserver, {
      construct(target, args: ConstructorParameters<typeof perfHooks.PerformanceObserver>) {
        started += 1;
        return Reflect.construct(target, args);
      },
    });
    try {
      const nodes = Array.from({ length: 20 }, () => new NodeMetrics());
      for (const node of nodes) await node.render();
      expect(processMetrics()).to.equal(before);
      expect(started).to.equal(0);
    } finally {
      Object.assign(hooks, { monitorEventLoopDelay, PerformanceObserver });
    }
  });

  it("expose no host name, address, MAC, home directory or process argument", async () => {
    const metrics = new NodeMetrics();
    metrics.http.observe("GET /api/me", 200, 0.001);
    metrics.actions.forAction("users.me").ok.inc();
    const text = await metrics.render();
    const addresses = Object.values(os.networkInterfaces())
      .flatMap((list) => list ?? [])
      .flatMap((iface) => [iface.address, iface.mac])
      .filter((value) => !["127.0.0.1", "::1", "00:00:00:00:00:00"].includes(value));
    const secrets = [os.hostname(), os.homedir(), ...addresses, ...process.argv.filter(wordLike)];
    for (const secret of secrets) expect(text, secret).to.not.include(secret);
  });
});

/** An argument that names something (a path, a flag): not a bare number, which any metric value may equal. */
function wordLike(arg: string): boolean {
  return arg.length > 3 && /[a-z]/i.test(arg);
}

function typeOf(text: string, name: string): string {
  return new RegExp(`^# TYPE ${name} \\S+$`, "m").exec(text)?.[0] ?? "";
}
