import { expect } from "chai";
import { Errors } from "moleculer";
import { toHttpError } from "../../../services/gateway/error-envelope";
import { ConflictError, RateLimitedError } from "../../../lib/errors";
import { StoreUnavailableError } from "../../../lib/store/errors";

describe("error envelope", () => {
  const cases: [string, unknown, number, string][] = [
    ["a domain error", new ConflictError("USERNAME_TAKEN", "taken"), 409, "USERNAME_TAKEN"],
    [
      "a validation error",
      new Errors.ValidationError("bad", "VALIDATION_FAILED", []),
      400,
      "VALIDATION_FAILED",
    ],
    [
      "a timeout",
      new Errors.RequestTimeoutError({ action: "users.me", nodeID: "n" }),
      503,
      "SERVICE_UNAVAILABLE",
    ],
    [
      "an open circuit / no endpoint",
      new Errors.ServiceNotAvailableError({ action: "users.me" }),
      503,
      "SERVICE_UNAVAILABLE",
    ],
    [
      "a full queue",
      new Errors.QueueIsFullError({ action: "users.me", nodeID: "n", size: 1, limit: 1 }),
      503,
      "SERVICE_UNAVAILABLE",
    ],
    ["a store outage", new StoreUnavailableError("down"), 503, "STORE_UNAVAILABLE"],
    ["a remote client error", new Errors.MoleculerClientError("nope", 403, "FORBIDDEN"), 403, "FORBIDDEN"],
    ["a bug", new TypeError("x is undefined"), 500, "INTERNAL_ERROR"],
    ["a thrown string", "boom", 500, "INTERNAL_ERROR"],
  ];
  for (const [what, err, status, code] of cases) {
    it(`maps ${what} to ${status} ${code}`, () => {
      const http = toHttpError(err);
      expect(http.status).to.equal(status);
      expect(http.envelope.error.code).to.equal(code);
      expect(http.internal).to.equal(status === 500);
    });
  }

  it("never puts the message of an internal error in the body", () => {
    const http = toHttpError(new Error("secret path /etc/x at line 3"));
    expect(JSON.stringify(http.envelope)).to.not.contain("secret");
  });

  it("gives Retry-After for 429 and 503", () => {
    expect(toHttpError(new RateLimitedError(17)).retryAfterSeconds).to.equal(17);
    expect(toHttpError(new StoreUnavailableError("down")).retryAfterSeconds).to.be.greaterThan(0);
  });
});
