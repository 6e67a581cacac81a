import { generateRequestDetails } from "web-push";
import type { PushResponse, PushTransport } from "./push-sender";
import type { VapidKeys } from "./vapid";

/** How long a push service keeps a push for a device that is offline. */
const PUSH_TTL_SECONDS = 24 * 3600;

/**
 * The web-push package encrypts (aes128gcm, for the subscription's keys) and signs (VAPID, with `subject` as the
 * contact); the request itself goes out with fetch, bounded by `timeoutMs`, so that the push service's answer,
 * whatever it is, comes back as a status for the sender to act on.
 */
export function webPushTransport(options: {
  vapid: VapidKeys;
  subject: string;
  timeoutMs: number;
}): PushTransport {
  const vapidDetails = {
    subject: options.subject,
    publicKey: options.vapid.publicKey,
    privateKey: options.vapid.privateKey,
  };
  return {
    async send(target, payload): Promise<PushResponse> {
      const request = generateRequestDetails({ endpoint: target.endpoint, keys: target.keys }, payload, {
        vapidDetails,
        TTL: PUSH_TTL_SECONDS,
        contentEncoding: "aes128gcm",
      });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name] = String(value);
      const res = await fetch(request.endpoint, {
        method: request.method,
        headers,
        body: request.body,
        redirect: "error",
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      // The answer's body is of no use; reading it frees the connection.
      await res.arrayBuffer().catch(() => undefined);
      const retryAfter = Number(res.headers.get("retry-after") ?? Number.NaN);
      return {
        statusCode: res.status,
        ...(Number.isFinite(retryAfter) && retryAfter >= 0 && { retryAfterSeconds: retryAfter }),
      };
    },
  };
}
