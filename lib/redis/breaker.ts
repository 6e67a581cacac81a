/**
 * closed: calls go through. open: calls fall back at once. half-open: one probe is out; calls still fall back,
 * so that no request ever pays for finding out whether the dependency is back.
 */
export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold?: number;
  /** Failures that open it at once: a timeout already cost a request the whole wait, the next must not. */
  opensAtOnce?: (err: unknown) => boolean;
  /** How long it stays open before the next probe. */
  probeIntervalMs?: number;
  now?: () => number;
  /** Told when calls stop or start going through (not on every probe), with the reason when they stop. */
  onChange?: (available: boolean, reason: string) => void;
}

/**
 * A circuit breaker in front of a dependency the node can do without (Redis): after the first failures it opens
 * and callers take their fallback without waiting; a probe of its own (never a caller's request) runs at most
 * once per `probeIntervalMs`, one at a time, and closes the circuit when it succeeds.
 */
export class CircuitBreaker {
  private current: CircuitState = "closed";
  private failures = 0;
  private nextProbeAt = 0;
  private readonly failureThreshold: number;
  private readonly probeIntervalMs: number;
  private readonly now: () => number;
  private readonly opensAtOnce: (err: unknown) => boolean;
  private readonly onChange: (available: boolean, reason: string) => void;

  constructor(
    private readonly probe: () => Promise<unknown>,
    options: CircuitBreakerOptions = {},
  ) {
    this.failureThreshold = options.failureThreshold ?? 3;
    this.probeIntervalMs = options.probeIntervalMs ?? 2_000;
    this.now = options.now ?? Date.now;
    this.opensAtOnce = options.opensAtOnce ?? (() => false);
    this.onChange = options.onChange ?? (() => undefined);
  }

  get state(): CircuitState {
    return this.current;
  }

  /** Runs `operation` while the circuit is closed; otherwise, or when it fails, answers `fallback()`. */
  async run<T>(operation: () => Promise<T>, fallback: () => T): Promise<T> {
    if (this.current !== "closed") {
      this.poll();
      return fallback();
    }
    let value: T;
    try {
      value = await operation();
    } catch (err) {
      this.recordFailure(err);
      return fallback();
    }
    // A late answer to a call made before the circuit opened says nothing about now: only the probe closes it.
    if (this.current === "closed") this.failures = 0;
    return value;
  }

  /** Counts a failure seen outside `run` (the client reporting a lost connection counts as one that opens). */
  recordFailure(err: unknown, opensAtOnce = this.opensAtOnce(err)): void {
    if (this.current !== "closed") return;
    this.failures++;
    if (opensAtOnce || this.failures >= this.failureThreshold) this.open(describe(err));
  }

  /** Starts a probe when one is due; callers may also call it on a timer so recovery needs no traffic. */
  poll(): void {
    if (this.current !== "open" || this.now() < this.nextProbeAt) return;
    this.startProbe();
  }

  /** Probes now, whatever the interval says: the client knows the connection is back. */
  probeNow(): void {
    if (this.current === "open") this.startProbe();
  }

  private startProbe(): void {
    this.current = "half-open";
    this.probe().then(
      () => {
        if (this.current !== "half-open") return;
        this.current = "closed";
        this.failures = 0;
        this.onChange(true, "a probe succeeded");
      },
      () => {
        if (this.current !== "half-open") return;
        this.current = "open";
        this.nextProbeAt = this.now() + this.probeIntervalMs;
      },
    );
  }

  private open(reason: string): void {
    this.current = "open";
    this.nextProbeAt = this.now() + this.probeIntervalMs;
    this.onChange(false, reason);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
