import type { PushTarget } from "./subscriptions";

/** What a push service answered: 201 accepted; 404/410 the subscription is gone; 429/5xx later. */
export interface PushResponse {
  statusCode: number;
  retryAfterSeconds?: number;
}

/** Encrypts (RFC 8291), signs (VAPID, RFC 8292) and posts one push (RFC 8030); rejects on a network failure. */
export interface PushTransport {
  send(target: PushTarget, payload: string): Promise<PushResponse>;
}

export interface PushSenderOptions {
  transport: PushTransport;
  /** A push service said the subscription is gone (404/410): forget it. */
  expired(userId: string, subscriptionId: string): Promise<void>;
  /** Pushes waiting or being sent on this node; past it new pushes are dropped (and counted). */
  maxQueued: number;
  concurrency: number;
  /** Tries per push, the first included. */
  maxAttempts: number;
  /** The first retry's delay; each next one doubles, up to 60 s (or what Retry-After says). */
  backoffMs: number;
  onOutcome?: (outcome: PushOutcome) => void;
  warn?: (message: string) => void;
}

export type PushOutcome = "sent" | "expired" | "rejected" | "failed" | "dropped";

interface Job {
  userId: string;
  target: PushTarget;
  payload: string;
  attempt: number;
}

const MAX_BACKOFF_MS = 60_000;

/**
 * Sends pushes off the request path: a bounded queue with a few sends at once, retried with exponential backoff
 * on a network error, 429 or 5xx (as Retry-After says when it does), and a subscription that a push service
 * answers 404 or 410 for is removed. The queue is memory: a node that stops loses the pushes still waiting,
 * never the notifications and messages they announce, which are stored before a push is queued.
 */
export class PushSender {
  private readonly ready: Job[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private active = 0;
  private waiting = 0;
  private stopped = false;

  constructor(private readonly options: PushSenderOptions) {}

  /** Queues one push; false when the queue is full (the push is dropped). */
  enqueue(userId: string, target: PushTarget, payload: string): boolean {
    if (this.stopped || this.size >= this.options.maxQueued) {
      this.options.onOutcome?.("dropped");
      return false;
    }
    this.ready.push({ userId, target, payload, attempt: 1 });
    this.pump();
    return true;
  }

  /** Pushes queued, waiting to retry or being sent. */
  get size(): number {
    return this.ready.length + this.waiting + this.active;
  }

  /** Resolves once nothing is queued, waiting or in flight (for tests and a graceful stop). */
  async idle(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.size > 0) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.waiting = 0;
    this.ready.length = 0;
  }

  private pump(): void {
    while (this.active < this.options.concurrency && this.ready.length > 0) {
      const job = this.ready.shift();
      if (job === undefined) return;
      this.active++;
      void this.attempt(job).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private async attempt(job: Job): Promise<void> {
    let response: PushResponse | undefined;
    try {
      response = await this.options.transport.send(job.target, job.payload);
    } catch (err: unknown) {
      this.retry(job, undefined, err instanceof Error ? err.message : String(err));
      return;
    }
    const status = response.statusCode;
    if (status >= 200 && status < 300) {
      this.options.onOutcome?.("sent");
    } else if (status === 404 || status === 410) {
      this.options.onOutcome?.("expired");
      await this.options.expired(job.userId, job.target.id).catch((err: unknown) => {
        this.options.warn?.(`push: could not remove an expired subscription: ${String(err)}`);
      });
    } else if (status === 429 || status >= 500) {
      this.retry(job, response.retryAfterSeconds, `answered ${status}`);
    } else {
      // 400, 401, 403, 413: this push will never be taken as it is.
      this.options.onOutcome?.("rejected");
      this.options.warn?.(`push: the push service refused a push with ${status}`);
    }
  }

  private retry(job: Job, retryAfterSeconds: number | undefined, why: string): void {
    if (this.stopped || job.attempt >= this.options.maxAttempts) {
      this.options.onOutcome?.("failed");
      this.options.warn?.(`push: gave up after ${job.attempt} tries (${why})`);
      return;
    }
    const backoff = Math.min(MAX_BACKOFF_MS, this.options.backoffMs * 2 ** (job.attempt - 1));
    const delay =
      retryAfterSeconds !== undefined ? Math.min(MAX_BACKOFF_MS, retryAfterSeconds * 1000) : backoff;
    this.waiting++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.waiting--;
      if (this.stopped) return;
      this.ready.push({ ...job, attempt: job.attempt + 1 });
      this.pump();
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}
