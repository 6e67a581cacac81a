import { expect } from "chai";
import type { AppContext } from "../../../lib/app-context";
import { createWithPorts, MissingPortError, withPorts } from "../../../mixins/ports.mixin";

/** An AppContext with only the ports a test gives it (a node builds only what its services use). */
function appWith(ports: Partial<Record<keyof AppContext, unknown>>): AppContext {
  return ports as unknown as AppContext;
}

describe("ports mixin", () => {
  const graphService = withPorts("graph", ["graph", "accounts"], (ports) => ({
    name: "graph",
    metadata: { got: Object.keys(ports).sort() },
  }));

  it("hands a service exactly the ports it declares", () => {
    const app = appWith({ graph: {}, accounts: {}, inbox: {} });
    expect(createWithPorts(graphService, app).metadata).to.deep.equal({ got: ["accounts", "graph"] });
  });

  it("refuses to build a service whose ports the node lacks, naming every missing one", () => {
    expect(() => createWithPorts(graphService, appWith({ inbox: {} })))
      .to.throw(MissingPortError)
      .with.property("message")
      .that.includes("graph")
      .and.includes("accounts");
    expect(() => createWithPorts(graphService, appWith({ graph: {} }))).to.throw(
      MissingPortError,
      /accounts/,
    );
  });
});
