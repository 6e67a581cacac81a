import { LruMap } from "../concurrency/lru-map";

/**
 * How many requests a gateway works on at once, found from their latency, as Envoy's adaptive concurrency filter
 * and Netflix's concurrency-limits do: the limit is cut when answers get slower than at rest and raised while they
 * do not. A node nobody sized then keeps the answers it takes close to their speed at rest, and refuses the rest.
 *
 * What "at rest" means differs by route (a cached profile answers in a tenth of a millisecond, a feed page in
 * several), so each answer is compared with the fastest recent answer of its own route and status, and the limit
 * follows the median of those ratios in a window. Only answers that had company count: a request alone cannot have
 * waited behind another, and one slow route answering alone (a large feed) must not shrink the limit. The fastest
 * answer is forgotten slowly (it doubles every `minDoublingMs` until a faster one comes), so that a route grown
 * slower for good (a user's data growing) stops counting as overload; while the limit bites, answers are fast
 * again and keep it current. A cut needs a crowd in flight and a busy event loop, and at the full limit ratios
 * over the tolerance for `sustainMs` of windows in a row, so that the burst of one page load is never refused; a
 * limit that is met is probed one higher once per `sustainMs`; a second without requests gives the full limit
 * back. Decision record 0010 says why each rule is there.
 */
export interface AdaptiveLimitOptions {
  /** The limit at start, and the most it is raised to. */
  max: number;
  /** The least it is cut to. */
  min: number;
  /** How many times its route's fastest answer a median answer may take before the limit is cut. */
  tolerance: number;
  windowMs: number;
  sustainMs: number;
  /** How long a route's fastest answer takes to double when no faster one comes. */
  minDoublingMs: number;
  /** Routes whose fastest answer is remembered; the least recently seen is forgotten past it. */
  maxRoutes: number;
  now: () => number;
  /**
   * The share of the time since its last call that the event loop was busy (`performance.eventLoopUtilization`).
   * Only a busy loop is a queue this node makes: a gateway whose answers are slow while its loop idles is waiting
   * on other nodes (a node killed, timelines rebuilt from the store), and refusing would not speed them up.
   */
  loopBusy: () => number;
}

/** Below this an answer's time is clock noise: ratios are taken against at least this. */
const FLOOR_MS = 0.05;
/** Fewer answers than this in a window say nothing about its latency. */
const MIN_SAMPLES = 3;
/** The share of the limit that must be in flight at once for slow answers to cut it (an eighth). */
const CROWD_SHARE = 8;
/** The share of a window the event loop must have been busy for slow answers to cut the limit. */
const BUSY_LOOP = 0.8;
/** A window left open this many times its length saw no request: a node at rest. */
const QUIET_WINDOWS = 10;

interface Fastest {
  ms: number;
  at: number;
}

export class AdaptiveLimit {
  private current: number;
  private readonly fastest: LruMap<string, Fastest>;
  private ratios: number[] = [];
  private windowStartedAt: number;
  /** The most requests in flight at once during this window (the limit itself when one was refused). */
  private peak = 0;
  /** Since when every window's median has been over the tolerance; undefined while it is not. */
  private overSince: number | undefined;
  /** When the limit last changed. */
  private changedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: AdaptiveLimitOptions) {
    this.current = options.max;
    this.fastest = new LruMap(options.maxRoutes);
    this.windowStartedAt = options.now();
  }

  /** The limit now; a window that is over closes here too, so that a quiet node's first request sees its full limit. */
  get limit(): number {
    const now = this.options.now();
    if (now - this.windowStartedAt >= this.options.windowMs) this.closeWindow(now);
    return this.current;
  }

  /** Requests in flight once one more was taken, or the limit when one was refused for it. */
  inFlight(count: number): void {
    if (count > this.peak) this.peak = count;
  }

  /**
   * One answer: its route (with its status class, so that a fast refusal never sets a route's pace), how long it
   * took from the turn that read it, and whether others were in flight with it.
   */
  observe(route: string, ms: number, hadCompany: boolean): void {
    const now = this.options.now();
    const fastest = this.fastestOf(route, now);
    if (fastest === undefined || ms < fastest) this.fastest.set(route, { ms, at: now });
    else if (hadCompany) this.ratios.push(ms / Math.max(fastest, FLOOR_MS));
    if (now - this.windowStartedAt >= this.options.windowMs) this.closeWindow(now);
  }

  private fastestOf(route: string, now: number): number | undefined {
    const kept = this.fastest.get(route);
    if (kept === undefined) return undefined;
    return kept.ms * 2 ** ((now - kept.at) / this.options.minDoublingMs);
  }

  private closeWindow(now: number): void {
    const { tolerance, min, max, sustainMs, windowMs } = this.options;
    const busy = this.options.loopBusy() >= BUSY_LOOP;
    const reached = this.peak >= this.current;
    const ratio = this.ratios.length >= MIN_SAMPLES ? median(this.ratios) : undefined;
    if (now - this.windowStartedAt >= QUIET_WINDOWS * windowMs) {
      // No request came for that long (each closes a window that is over): a node at rest, whose last answers
      // are old news. Its full limit is back, so that the first page loaded after an overload is not refused.
      this.set(max, now);
      this.overSince = undefined;
    } else if (busy && ratio !== undefined && ratio > tolerance && this.crowded()) {
      this.overSince ??= this.windowStartedAt;
      // A node already cut is in an overload: no need to wait for it to stand again.
      if (this.current < max || now - this.overSince >= sustainMs) {
        this.set(Math.max(min, Math.floor(this.current * Math.max(0.5, tolerance / ratio))), now);
      }
    } else {
      this.overSince = undefined;
      // Answers at their pace, or too few with company to tell: a limit that was met is probed one higher, once
      // per sustain time, so that a node held at its floor spends most of its time there and a route waiting on
      // other nodes (where more in flight costs nothing) still climbs. A window that did not meet the limit says
      // nothing of what more would cost: raising the limit for it let bursts in that the next window had to cut.
      if (reached && now - this.changedAt >= sustainMs) this.set(Math.min(max, this.current + 1), now);
    }
    this.ratios = [];
    this.peak = 0;
    this.windowStartedAt = now;
  }

  /**
   * Only a crowd is a queue that refusing shortens: a few slow answers (a node busy transcoding, a pause for
   * garbage collection) with the limit far above them would have it cut to the floor for nothing.
   */
  private crowded(): boolean {
    return this.peak * CROWD_SHARE >= this.current;
  }

  private set(limit: number, now: number): void {
    if (limit !== this.current) this.changedAt = now;
    this.current = limit;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
