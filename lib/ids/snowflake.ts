/**
 * Snowflake-style ids: 41 bits of milliseconds since MOSAIC_EPOCH_MS, 10 bits of worker id, 12 bits of sequence.
 * The top bit stays 0 so every id fits a signed 64-bit integer (Cassandra's `bigint`). Ids are BigInts inside this
 * module and decimal strings everywhere else, because JSON numbers lose precision above 2^53.
 */

/** A recent epoch buys the 41-bit timestamp ~70 years of range (until 2094) instead of ending in 2039. */
export const MOSAIC_EPOCH_MS = Date.UTC(2025, 0, 1);

const TIMESTAMP_BITS = 41;
const WORKER_BITS = 10;
const SEQUENCE_BITS = 12;

export const MAX_WORKER_ID = (1 << WORKER_BITS) - 1;
const MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1;
const MAX_ELAPSED_MS = 2 ** TIMESTAMP_BITS - 1;
const WORKER_SHIFT = SEQUENCE_BITS;
const TIMESTAMP_SHIFT = BigInt(WORKER_BITS + SEQUENCE_BITS);
const MAX_ID = (1n << 63n) - 1n;
const DEFAULT_MAX_BACKWARD_STEP_MS = 5_000;

/** Canonical form only, so that one id has exactly one spelling and string equality is id equality. */
const CANONICAL_ID = /^[1-9][0-9]{0,18}$/;

/** The clock stepped back further than the generator is willing to wait out. */
export class ClockMovedBackwardsError extends Error {
  override readonly name = "ClockMovedBackwardsError";
  constructor(
    readonly stepMs: number,
    readonly maxBackwardStepMs: number,
  ) {
    super(`the clock moved backwards by ${stepMs} ms, more than the ${maxBackwardStepMs} ms we wait out`);
  }
}

/** A time that the 41-bit timestamp cannot hold: before MOSAIC_EPOCH_MS or after 2094. */
export class TimestampOutOfRangeError extends RangeError {
  override readonly name = "TimestampOutOfRangeError";
  constructor(readonly ms: number) {
    const when = Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
    super(
      `${when} is outside the id timestamp range ` +
        `${new Date(MOSAIC_EPOCH_MS).toISOString()} .. ${new Date(MOSAIC_EPOCH_MS + MAX_ELAPSED_MS).toISOString()}`,
    );
  }
}

/** A string that is not a canonical id. */
export class InvalidIdError extends Error {
  override readonly name = "InvalidIdError";
  constructor(readonly value: string) {
    super(`not an id: ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`);
  }
}

export interface SnowflakeOptions {
  /** Unique among the processes that generate ids at the same time, 0..1023. */
  workerId: number;
  /** Milliseconds since the Unix epoch; injectable so tests can freeze and rewind time. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** How far back the clock may step (an NTP correction) before we fail instead of waiting it out. */
  maxBackwardStepMs?: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const noop = (): void => {};

function elapsedSinceEpoch(ms: number): number {
  // Flooring keeps fractional clocks (performance.timeOrigin + now()) usable; the id only has ms resolution.
  const elapsed = Math.floor(ms) - MOSAIC_EPOCH_MS;
  if (!(elapsed >= 0 && elapsed <= MAX_ELAPSED_MS)) throw new TimestampOutOfRangeError(ms);
  return elapsed;
}

export class SnowflakeGenerator {
  private readonly workerBits: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxBackwardStepMs: number;

  /** Milliseconds since MOSAIC_EPOCH_MS of the last id handed out; never decreases. */
  private lastMs = -1;
  private lastMsBits = 0n;
  private sequence = 0;

  /** Callers that had to wait; they take ids one after another so the ids follow call order. */
  private waiting = 0;
  private queueTail: Promise<void> = Promise.resolve();

  constructor(options: SnowflakeOptions) {
    const { workerId, maxBackwardStepMs = DEFAULT_MAX_BACKWARD_STEP_MS } = options;
    if (!Number.isInteger(workerId) || workerId < 0 || workerId > MAX_WORKER_ID) {
      throw new RangeError(`workerId must be an integer in 0..${MAX_WORKER_ID}, got ${workerId}`);
    }
    if (!(maxBackwardStepMs >= 0) || !Number.isFinite(maxBackwardStepMs)) {
      throw new RangeError(`maxBackwardStepMs must be a finite number >= 0, got ${maxBackwardStepMs}`);
    }
    this.workerBits = workerId << WORKER_SHIFT;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.maxBackwardStepMs = maxBackwardStepMs;
  }

  /** The next id; strictly greater than every id this generator handed out before, including to concurrent calls. */
  async next(): Promise<string> {
    // Runs synchronously up to the first await, so uncontended calls never touch the queue.
    const id = this.nextSync();
    if (id !== undefined) return id;

    this.waiting++;
    const turn = this.queueTail.then(() => this.takeWhenReady());
    // A caller that fails (clock stepped back too far) must not wedge the callers queued behind it.
    this.queueTail = turn.then(noop, noop);
    return turn;
  }

  /**
   * The next id if it is available without waiting, otherwise undefined (sequence exhausted, clock behind, or
   * callers of next() already waiting, who must not be overtaken). Throws like next() rejects.
   */
  nextSync(): string | undefined {
    if (this.waiting > 0) return undefined;
    const elapsed = elapsedSinceEpoch(this.now());
    return this.waitFor(elapsed) === 0 ? this.take(elapsed) : undefined;
  }

  private async takeWhenReady(): Promise<string> {
    try {
      for (;;) {
        // Re-read the clock after every sleep: timers may fire early and the clock may step again meanwhile.
        const elapsed = elapsedSinceEpoch(this.now());
        const waitMs = this.waitFor(elapsed);
        if (waitMs === 0) return this.take(elapsed);
        await this.sleep(waitMs);
      }
    } finally {
      // Decremented in the same tick as the take, so a new caller cannot slip in ahead of a queued one.
      this.waiting--;
    }
  }

  /** 0 when an id can be taken at `elapsed`, else how long until the clock passes the last used millisecond. */
  private waitFor(elapsed: number): number {
    if (elapsed > this.lastMs) return 0;
    if (elapsed === this.lastMs && this.sequence < MAX_SEQUENCE) return 0;
    const behind = this.lastMs - elapsed;
    if (behind > this.maxBackwardStepMs) throw new ClockMovedBackwardsError(behind, this.maxBackwardStepMs);
    return behind + 1;
  }

  private take(elapsed: number): string {
    if (elapsed > this.lastMs) {
      this.lastMs = elapsed;
      this.lastMsBits = BigInt(elapsed) << TIMESTAMP_SHIFT;
      // 0 is not a valid id, so worker 0 skips it in the very first millisecond of the epoch.
      this.sequence = elapsed === 0 && this.workerBits === 0 ? 1 : 0;
    } else {
      this.sequence++;
    }
    return (this.lastMsBits | BigInt(this.workerBits | this.sequence)).toString();
  }
}

/** The id as a BigInt; throws InvalidIdError unless `s` is a canonical decimal id in 1..2^63-1. */
const MAX_ID_TEXT = MAX_ID.toString();
const MAX_ID_DIGITS = MAX_ID_TEXT.length;

export function parseId(s: string): bigint {
  if (typeof s !== "string" || !CANONICAL_ID.test(s)) throw new InvalidIdError(String(s));
  const id = BigInt(s);
  if (id > MAX_ID) throw new InvalidIdError(s);
  return id;
}

export function isId(s: unknown): s is string {
  if (typeof s !== "string" || !CANONICAL_ID.test(s)) return false;
  return BigInt(s) <= MAX_ID;
}

/** When the id was generated, to the millisecond. */
export function idTimestamp(id: string): Date {
  return new Date(Number(parseId(id) >> TIMESTAMP_SHIFT) + MOSAIC_EPOCH_MS);
}

export function idWorker(id: string): number {
  return Number((parseId(id) >> BigInt(WORKER_SHIFT)) & BigInt(MAX_WORKER_ID));
}

export function idSequence(id: string): number {
  return Number(parseId(id) & BigInt(MAX_SEQUENCE));
}

/** Numeric order, which is also generation order; plain string comparison would put "10" before "9". */
export function compareIds(a: string, b: string): -1 | 0 | 1 {
  // Canonical ids (no sign, no leading zero) order as numbers do by length first, then digit by digit: no
  // BigInt, which made sorting a feed page's candidates a tenth of its CPU. Anything else is refused as before.
  if (!isCanonical(a)) throw new InvalidIdError(String(a));
  if (!isCanonical(b)) throw new InvalidIdError(String(b));
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `compareIds` for ids already known canonical (read back from the store, or checked once on the way in): merging
 * a feed page's candidates compares each id many times, and the check would be most of the work.
 */
export function compareCanonicalIds(a: string, b: string): -1 | 0 | 1 {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A canonical id's shape, checked without a regular expression (the hot path of sorting). */
function isCanonical(s: string): boolean {
  if (typeof s !== "string" || s.length === 0 || s.length > MAX_ID_DIGITS || s.charCodeAt(0) === 48)
    return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return s.length < MAX_ID_DIGITS || s <= MAX_ID_TEXT;
}

/**
 * The smallest id that can carry millisecond `ms` (Unix epoch), so `idAtTime(from) <= id < idAtTime(to)` selects
 * the ids generated in [from, to) without a separate timestamp column.
 */
export function idAtTime(ms: number): string {
  const elapsed = elapsedSinceEpoch(ms);
  // At the epoch itself the smallest valid id is 1, since 0 is not an id.
  return elapsed === 0 ? "1" : (BigInt(elapsed) << TIMESTAMP_SHIFT).toString();
}
