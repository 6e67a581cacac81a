import type { Config } from "../../config";
import { RateLimitedError } from "../../lib/errors";
import { rateLimitKeys, type QuotaName, type RateLimiter } from "../../lib/rate-limit/rate-limiter";
import type { ApiRoute } from "./routes";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * The gateway's limits: per IP before signing in, per user for writes, and per-user hourly quotas on the routes
 * that carry one. `RATE_LIMITS=off` skips them all.
 */
export class GatewayRateLimits {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly config: Config["rateLimits"],
  ) {}

  async checkIp(route: ApiRoute, ip: string): Promise<void> {
    if (!this.config.enabled || route.ipLimit === undefined) return;
    const verdict =
      route.ipLimit === "signup"
        ? await this.limiter.hit(rateLimitKeys.signup(ip), this.config.signupPerHour, HOUR)
        : route.ipLimit === "recovery"
          ? await this.limiter.hit(rateLimitKeys.recovery(ip), this.config.recoveryPerHour, HOUR)
          : await this.limiter.hit(rateLimitKeys.login(ip), this.config.loginPerMinute, MINUTE);
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
  }

  async checkWrite(method: string, userId: string): Promise<void> {
    if (!this.config.enabled || method === "GET" || method === "HEAD") return;
    const verdict = await this.limiter.hit(rateLimitKeys.write(userId), this.config.writesPerMinute, MINUTE);
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
  }

  async checkQuota(name: QuotaName, userId: string): Promise<void> {
    if (!this.config.enabled) return;
    const verdict = await this.limiter.hit(
      rateLimitKeys.quota(name, userId),
      this.config.quotasPerHour[name],
      HOUR,
    );
    if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds);
  }
}
