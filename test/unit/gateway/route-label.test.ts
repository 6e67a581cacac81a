import { expect } from "chai";
import type { IncomingMessage } from "node:http";
import { routeLabeller, type ResolveAlias } from "../../../services/gateway/route-label";

const signup = { method: "POST", fullPath: "/api/auth/signup" };
const profile = { method: "GET", fullPath: "/api/users/:username" };

/** moleculer-web's lookup over two aliases, recording what it was asked. */
function resolver(): ResolveAlias & { asked: string[] } {
  const asked: string[] = [];
  const resolve = (url: string, method: string) => {
    asked.push(`${method} ${url}`);
    if (method === "POST" && url === "/api/auth/signup") return { alias: signup };
    if (method === "GET" && /^\/api\/users\/[^/]+$/.test(url)) {
      decodeURIComponent(url); // as moleculer-web decodes the parameters of the alias it matched, throwing
      return { alias: profile };
    }
    return false;
  };
  return Object.assign(resolve, { asked });
}

const request = (fields: Record<string, unknown>) => fields as unknown as IncomingMessage;

describe("the route label of a request", () => {
  it("is the template of the alias moleculer-web matched, never the path", () => {
    const resolve = resolver();
    const label = routeLabeller(resolve);
    expect(
      label(request({ method: "GET", url: "/ada", originalUrl: "/api/users/ada", $alias: profile })),
    ).to.equal("GET /api/users/:username");
    expect(resolve.asked).to.deep.equal([]);
  });

  it("looks the alias up for a request that failed before moleculer-web set it (a bad body, an overload)", () => {
    const resolve = resolver();
    const label = routeLabeller(resolve);
    expect(label(request({ method: "POST", url: "/api/auth/signup?x=1" }))).to.equal("POST /api/auth/signup");
    expect(label(request({ method: "GET", url: "/auth/x", originalUrl: "/api/users/grace/" }))).to.equal(
      "GET /api/users/:username",
    );
    expect(resolve.asked).to.deep.equal(["POST /api/auth/signup", "GET /api/users/grace"]);
  });

  it("is a fixed name for what matches no alias, and for OPTIONS", () => {
    const label = routeLabeller(resolver());
    expect(label(request({ method: "GET", url: "/wp-admin/../../etc/passwd" }))).to.equal("unmatched");
    expect(label(request({ method: "DELETE", url: "/api/auth/signup" }))).to.equal("unmatched");
    expect(label(request({ method: "OPTIONS", url: "/api/me" }))).to.equal("options");
  });

  it("is unmatched, not an exception, when the lookup throws on a malformed parameter", () => {
    const label = routeLabeller(resolver());
    expect(label(request({ method: "GET", url: "/api/users/%E0%A4%A" }))).to.equal("unmatched");
  });
});
