/** Answers are measured in windows this long (or longer, until they hold enough answers). */
const WINDOW_MS = 250;
const MIN_SAMPLES = 16;
/** The latency at rest is the lowest window median of the last minute. */
const BASELINE_WINDOWS = 240;
/** Samples kept per window at most: enough for a median. */
const MAX_SAMPLES = 1_024;
/** Above this share of a window spent running JavaScript, slower answers mean this node is the bottleneck. */
const BUSY = 0.9;

export interface AdmissionOptions {
  /** The most requests in flight, whatever their latency says (`MAX_INFLIGHT`). */
  max: number;
  /** The fewest the limit falls to (default 16: a handful of clients at once is normal load, never refused). */
  min?: number;
  /** How slow admitted answers may get, as a multiple of the latency at rest (default 2). */
  tolerance?: number;
  now?: () => number;
  /** The share of the time since the last call the event loop was busy (default: Node's event loop utilization). */
  busy?: () => number;
}

/**
 * A gateway's bound on the API requests it works on at once. Past it a request is refused at once (503 with
 * Retry-After) rather than queued: a queue only adds its wait to every answer once the node is saturated, while a
 * refusal costs the client one quick retry and keeps the answers of those admitted as fast as at normal load.
 *
 * The bound adapts (a gradient limiter, after Netflix's concurrency-limits): every window it compares the median
 * latency of the answers with the latency at rest (the lowest window median of the last minute). When answers
 * are slower than `tolerance` times that _and_ the event loop was busy (so this node's own work is what slows
 * them, not a slow backend or a slower mix of routes), the limit is scaled by `tolerance × rest / now`, at most
 * halved; otherwise it grows by √limit if it was reached. A fixed bound would need tuning to each machine: one
 * above what the node serves at once only moves the queue inside the node, where every answer waits in it.
 */
export class Admission {
  private inFlight = 0;
  private refusedTotal = 0;
  private limitValue: number;
  private readonly min: number;
  private readonly tolerance: number;
  private readonly now: () => number;
  private readonly busy: () => number;
  private windowStart: number;
  private samples: number[] = [];
  /** The most requests in flight during this window: a limit never reached says nothing about more. */
  private peak = 0;
  private readonly medians: number[] = [];

  constructor(private readonly options: AdmissionOptions) {
    this.min = Math.min(options.min ?? 16, options.max);
    this.tolerance = options.tolerance ?? 2;
    this.now = options.now ?? (() => performance.now());
    this.busy = options.busy ?? eventLoopBusy();
    this.limitValue = options.max;
    this.windowStart = this.now();
  }

  /** Takes a place and answers when (for leave), or undefined when none is free. */
  enter(): number | undefined {
    if (this.inFlight >= Math.floor(this.limitValue)) {
      this.refusedTotal++;
      return undefined;
    }
    this.inFlight++;
    if (this.inFlight > this.peak) this.peak = this.inFlight;
    return this.now();
  }

  /**
   * Gives the place back. `measured`: the answer's time says how loaded the node is (not an upload, whose time is
   * the client's network, nor a request the client gave up on).
   */
  leave(enteredAt: number, measured = true): void {
    if (this.inFlight > 0) this.inFlight--;
    const now = this.now();
    if (measured && this.samples.length < MAX_SAMPLES) this.samples.push(now - enteredAt);
    if (now - this.windowStart >= WINDOW_MS && this.samples.length >= MIN_SAMPLES) this.adapt(now);
  }

  get current(): number {
    return this.inFlight;
  }

  get refused(): number {
    return this.refusedTotal;
  }

  /** The bound now. */
  get limit(): number {
    return Math.floor(this.limitValue);
  }

  private adapt(now: number): void {
    const median = medianOf(this.samples);
    this.medians.push(median);
    if (this.medians.length > BASELINE_WINDOWS) this.medians.shift();
    const rest = Math.min(...this.medians);
    const busy = this.busy() >= BUSY;
    if (busy && median > this.tolerance * rest) {
      this.limitValue *= Math.max(0.5, (this.tolerance * rest) / median);
    } else if (this.peak >= Math.floor(this.limitValue)) {
      this.limitValue += Math.sqrt(this.limitValue);
    }
    this.limitValue = Math.max(this.min, Math.min(this.options.max, this.limitValue));
    this.samples = [];
    this.peak = this.inFlight;
    this.windowStart = now;
  }
}

/** The event loop's utilization since the previous call. */
function eventLoopBusy(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, last);
    last = now;
    return delta.utilization;
  };
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
