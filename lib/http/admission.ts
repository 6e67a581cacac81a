import type { AdaptiveLimit } from "./adaptive-limit";

/**
 * What decides whether a gateway takes a request: a bound on those it works on at once (`maxInFlight`, or the
 * adaptive limit under it, found from the answers' latency), and a bound on how long requests wait for the event
 * loop (CoDel's control law, applied to turns of the loop).
 *
 * A request answered within the turn of the loop that read it (a cached read) is in flight for microseconds, so
 * counted from its start to its answer, however many clients wait, the count would stay at one: the queue is the
 * sockets whose bytes the loop has not read yet, and those the turn reads one after another. So a request holds
 * its place until its answer or the end of the turn that read it, whichever is later: the requests one turn reads
 * are counted together, as the clients waiting at once that they are. The second bound sees how long each
 * turn runs: the requests read late in a long turn waited for every one before them, and the sockets read in
 * the next turn waited for all of it. So every turn is timed from the first request it reads, and once turns have
 * run longer than `targetMs` for a whole `intervalMs` (a standing queue, not a burst), each request read later
 * than `targetMs` into its turn is refused (503 with Retry-After), which a refusal does at a third of an answer's
 * cost, and clients that honour Retry-After stay away for a while. The first turn under the target ends it, and so does an interval without a request.
 */
export interface AdmissionOptions {
  /** API requests worked on at once, at most. */
  maxInFlight: number;
  /** The bound found from answers' latency, under `maxInFlight`; without it the bound is `maxInFlight`. */
  adaptive?: AdaptiveLimit;
  /** How far into a turn of the event loop a request may be read and still be taken, once there is a queue. */
  targetMs: number;
  /** How long turns must stay longer than `targetMs` before requests are refused for it. */
  intervalMs: number;
  /** For tests: the clock (ms) and the hook that runs once the loop's current turn is over. */
  now?: () => number;
  afterTurn?: (callback: () => void) => void;
}

export type Refusal = "in-flight" | "queue";

/** A place taken: given back with leave(). */
export interface Ticket {
  readonly turn: number;
  /** When the turn that read it began: its answer's latency counts from there, the wait behind the turn included. */
  readonly readAt: number;
  readonly hadCompany: boolean;
}

/** An answer sent, for the adaptive bound: its route (a template, never the URL) and status. */
export interface Answered {
  route: string;
  status: number;
}

export class Admission {
  private inFlight = 0;
  private refusedTotal = 0;
  /** Counts turns that read a request; a ticket names the one it was taken in. */
  private turnNumber = 0;
  /** Places given back during the current turn, freed when it ends. */
  private leavingAtTurnEnd = 0;
  /** When the current turn read its first request; undefined between turns. */
  private turnStartedAt: number | undefined;
  /** Since when every turn has run longer than the target (the end of the first); undefined while they do not. */
  private overSince: number | undefined;
  /** When the last turn that read a request ended. */
  private lastTurnEndedAt: number | undefined;
  private readonly now: () => number;
  private readonly afterTurn: (callback: () => void) => void;
  private readonly endTurn = () => this.turnEnded();

  constructor(private readonly options: AdmissionOptions) {
    this.now = options.now ?? (() => performance.now());
    this.afterTurn = options.afterTurn ?? ((callback) => setImmediate(callback));
  }

  /**
   * Takes a place (a ticket), or answers why not. Every ticket must be given back by exactly one leave(). The
   * turn is marked on the first request it reads, so an idle node schedules nothing.
   */
  tryEnter(): Refusal | Ticket {
    const now = this.now();
    if (this.turnStartedAt === undefined) {
      this.turnNumber++;
      // No request for a whole interval since the last turn: no queue stood through it.
      if (this.lastTurnEndedAt !== undefined && now - this.lastTurnEndedAt >= this.options.intervalMs) {
        this.overSince = undefined;
      }
      this.turnStartedAt = now;
      this.afterTurn(this.endTurn);
    }
    const { adaptive } = this.options;
    const bound = this.bound;
    let refusal: Refusal | undefined;
    if (this.inFlight >= bound) refusal = "in-flight";
    else if (this.queued(now) && now - this.turnStartedAt > this.options.targetMs) refusal = "queue";
    if (refusal !== undefined) {
      this.refusedTotal++;
      if (refusal === "in-flight") adaptive?.inFlight(bound);
      return refusal;
    }
    const hadCompany = this.inFlight > 0;
    this.inFlight++;
    adaptive?.inFlight(this.inFlight);
    return { turn: this.turnNumber, readAt: this.turnStartedAt, hadCompany };
  }

  /**
   * Gives the place back: at once, or at the end of the turn that took it if that turn is still running. `answered`
   * when an answer was sent (not when the client left first): its latency teaches the adaptive bound.
   */
  leave(ticket: Ticket, answered?: Answered): void {
    if (answered !== undefined && this.options.adaptive !== undefined) {
      const statusClass = `${Math.floor(answered.status / 100)}xx`;
      this.options.adaptive.observe(
        `${answered.route} ${statusClass}`,
        this.now() - ticket.readAt,
        ticket.hadCompany,
      );
    }
    if (this.turnStartedAt !== undefined && ticket.turn === this.turnNumber) this.leavingAtTurnEnd++;
    else if (this.inFlight > 0) this.inFlight--;
  }

  get current(): number {
    return this.inFlight;
  }

  /** The bound in force now. */
  get bound(): number {
    const { adaptive, maxInFlight } = this.options;
    return adaptive === undefined ? maxInFlight : Math.min(maxInFlight, adaptive.limit);
  }

  get refused(): number {
    return this.refusedTotal;
  }

  /** Whether turns have been over the target for a whole interval: a standing queue. */
  private queued(now: number): boolean {
    return this.overSince !== undefined && now - this.overSince >= this.options.intervalMs;
  }

  private turnEnded(): void {
    this.inFlight = Math.max(0, this.inFlight - this.leavingAtTurnEnd);
    this.leavingAtTurnEnd = 0;
    const startedAt = this.turnStartedAt;
    this.turnStartedAt = undefined;
    if (startedAt === undefined) return;
    const now = this.now();
    this.lastTurnEndedAt = now;
    // Counted from the end of the first slow turn, as CoDel does: one long turn alone is never a standing queue.
    if (now - startedAt > this.options.targetMs) this.overSince ??= now;
    else this.overSince = undefined;
  }
}
