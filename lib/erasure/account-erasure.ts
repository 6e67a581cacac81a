import type { WideRowStore } from "../store/store";
import { ERASURE_STEPS, type ErasureProgress, type ErasureStep } from "./params";
import type { ErasureSchedule } from "./schedule";
import { erasureJobs, erasureLeases } from "./tables";

/** Runs one bounded call of a step, on whichever node holds that part of the account (over the broker). */
export type StepRunner = (step: ErasureStep, userId: string, cursor?: string) => Promise<ErasureProgress>;

export interface AccountErasureDeps {
  store: WideRowStore;
  schedule: ErasureSchedule;
  runStep: StepRunner;
  /** Names this node in leases. */
  holder: string;
  now: () => number;
  /**
   * Whether the account is still one to erase (deleted, and its grace period over): the line may hold an account
   * whose owner took it back just now, and a sweep must leave that one alone.
   */
  isDue: (userId: string) => Promise<boolean>;
  /** Hears of each step finished, for the operator's log. */
  log?: (message: string) => void;
  /** Hears of an erasure that stopped (it goes on at the next sweep). */
  warn?: (message: string, err: unknown) => void;
}

/** A lease outlives a renewal's interval by far, so a live holder keeps it and a dead one frees it within a minute. */
const LEASE = { ttlSeconds: 60 };
/** A long step call (a viral post's likes) keeps the lease alive meanwhile. */
const RENEW_EVERY_MS = 15_000;
/** Erasures one sweep starts at most: each runs to its end before the next. */
const SWEEP_LIMIT = 20;

/** Another node took the erasure over (this one's lease lapsed): this one stops, leaving it to that one. */
export class ErasureLeaseLostError extends Error {
  constructor(userId: string) {
    super(`the erasure of ${userId} is another node's now`);
    this.name = "ErasureLeaseLostError";
  }
}

/**
 * Erases deleted accounts once their grace period is over: a durable job per account that walks every module's
 * erasure step in order (params.ts), recording after each call where it got to, so that a node dying mid-way
 * leaves the job to another that goes on from there. Every step is idempotent; an erasure run twice, or resumed
 * from a position recorded just before work that was done, leaves the same nothing.
 */
export class AccountErasure {
  constructor(private readonly deps: AccountErasureDeps) {}

  /**
   * Erases every account due now, one after the other; answers how many this node erased. One that fails is
   * logged and left for the next sweep: the accounts behind it in line go on.
   */
  async sweep(): Promise<number> {
    let erased = 0;
    const { schedule } = this.deps;
    for (const { userId, eraseAfter } of await schedule.due(SWEEP_LIMIT)) {
      try {
        if (!(await this.deps.isDue(userId))) {
          // Taken back, or deleted again later: its current line row (if any) is the one that counts.
          await schedule.unschedule(userId, eraseAfter);
          continue;
        }
        if (await this.erase(userId)) {
          await schedule.unschedule(userId, eraseAfter);
          erased += 1;
        }
      } catch (err) {
        this.deps.warn?.(`the erasure of ${userId} stopped; the next sweep goes on with it`, err);
      }
    }
    return erased;
  }

  /**
   * Runs the account's erasure to its end from where it was left; false when another node holds it (that node
   * finishes it). Callers check first that the account is one to erase: this erases whatever it is given.
   */
  async erase(userId: string): Promise<boolean> {
    const { store, holder } = this.deps;
    const lease = await store.insertIfAbsent(erasureLeases, { user_id: userId, holder }, LEASE);
    if (!lease.applied) return false;
    let lost = false;
    const keeper = setInterval(() => {
      void this.renew(userId).then(
        (kept) => (lost ||= !kept),
        () => undefined,
      );
    }, RENEW_EVERY_MS);
    keeper.unref();
    try {
      const job = await store.get(erasureJobs, { user_id: userId });
      if (job === undefined) {
        await store.put(erasureJobs, {
          user_id: userId,
          step: ERASURE_STEPS[0],
          started_at: new Date(this.deps.now()),
        });
      }
      const recorded = ERASURE_STEPS.find((step) => step === job?.step) ?? ERASURE_STEPS[0];
      let cursor = job?.cursor === "" ? undefined : job?.cursor;
      for (let i = ERASURE_STEPS.indexOf(recorded); i < ERASURE_STEPS.length; i += 1) {
        const step = ERASURE_STEPS[i] as ErasureStep;
        for (;;) {
          const progress = await this.deps.runStep(step, userId, cursor);
          // Recording progress under a lease another node holds would move its job back.
          if (lost || !(await this.renew(userId))) throw new ErasureLeaseLostError(userId);
          if (progress.done) break;
          cursor = progress.cursor;
          await store.put(erasureJobs, { user_id: userId, step, cursor: cursor ?? "" });
        }
        cursor = undefined;
        const next = ERASURE_STEPS[i + 1];
        if (next !== undefined) {
          await store.put(erasureJobs, { user_id: userId, step: next, cursor: "" });
        }
        this.deps.log?.(`erasure of ${userId}: ${step} done`);
      }
      await store.delete(erasureJobs, { user_id: userId });
      return true;
    } finally {
      clearInterval(keeper);
      await store.deleteIf(erasureLeases, { user_id: userId }, { holder }).catch(() => undefined);
    }
  }

  /** Takes the lease for LEASE again; false when it is no longer this node's. */
  private renew(userId: string): Promise<boolean> {
    return this.deps.store.updateIf(
      erasureLeases,
      { user_id: userId, holder: this.deps.holder },
      { holder: this.deps.holder },
      LEASE,
    );
  }
}
