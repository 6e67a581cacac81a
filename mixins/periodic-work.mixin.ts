import type { ServiceBroker, ServiceSchema } from "moleculer";

export interface PeriodicJob {
  /** Named in the log line of a round that failed. */
  name: string;
  everyMs: number;
  run: (broker: ServiceBroker) => Promise<unknown>;
}

/**
 * Interval work of a service (resumers, janitors), as a Moleculer mixin: a round starts only once the job's last
 * one ended, so a slow round never runs twice at once; a round that fails is logged and the next one tries again;
 * every job stops with the service.
 */
export function periodicWork(jobs: readonly PeriodicJob[]): Pick<ServiceSchema, "started" | "stopped"> {
  let timers: NodeJS.Timeout[] = [];
  return {
    started(this: { broker: ServiceBroker }) {
      const broker = this.broker;
      timers = jobs.map((job) => {
        let running = false;
        const timer = setInterval(() => {
          if (running) return;
          running = true;
          job
            .run(broker)
            .catch((err: unknown) =>
              broker.logger.warn(`${job.name} failed`, err instanceof Error ? err.message : err),
            )
            .finally(() => (running = false));
        }, job.everyMs);
        timer.unref();
        return timer;
      });
    },
    stopped() {
      for (const timer of timers) clearInterval(timer);
      timers = [];
    },
  };
}
