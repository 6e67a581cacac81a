import { expect } from "chai";
import { ServiceBroker } from "moleculer";
import { periodicWork } from "../../../mixins/periodic-work.mixin";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("periodicWork mixin", () => {
  it("never runs a job's rounds at once, goes on after a failed round, and stops with the service", async () => {
    const broker = new ServiceBroker({ logger: false });
    let running = 0;
    let overlapped = false;
    let rounds = 0;
    broker.createService({
      name: "worker",
      mixins: [
        periodicWork([
          {
            name: "slow job",
            everyMs: 5,
            run: async () => {
              rounds++;
              running++;
              if (running > 1) overlapped = true;
              await sleep(30); // six intervals long
              running--;
              if (rounds === 1) throw new Error("first round fails");
            },
          },
        ]),
      ],
    });
    await broker.start();
    await sleep(200);
    await broker.stop();
    const atStop = rounds;
    expect(overlapped).to.equal(false);
    expect(atStop).to.be.greaterThan(1); // the failed first round did not end the job
    await sleep(100);
    expect(rounds).to.equal(atStop);
  });
});
