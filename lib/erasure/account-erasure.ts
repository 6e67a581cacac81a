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
}

/** A lease outlives a step call by far; it is taken again after each call, so a dead holder frees it soon. */
const LEASE = { ttlSeconds: 60 };
/** Erasures one sweep starts at most: each runs to its end before the next. */
const SWEEP_LIMIT = 20;

/**
 * Erases deleted accounts once their grace period is over: a durable job per account that walks every module's
 * erasure step in order (params.ts), recording after each call where it got to, so that a node dying mid-way
 * leaves the job to another that goes on from there. Every step is idempotent; an erasure run twice, or resumed
 * from a position recorded just before work that was done, leaves the same nothing.
 */
export class AccountErasure {
  constructor(private readonly deps: AccountErasureDeps) {}

  /** Erases every account due now, one after the other; answers how many this node erased. */
  async sweep(): Promise<number> {
    let erased = 0;
    const { schedule } = this.deps;
    for (const { userId, eraseAfter } of await schedule.due(SWEEP_LIMIT)) {
      if (!(await this.deps.isDue(userId))) {
        // Taken back, or deleted again later: its current line row (if any) is the one that counts.
        await schedule.unschedule(userId, eraseAfter);
        continue;
      }
      if (await this.erase(userId)) {
        await schedule.unschedule(userId, eraseAfter);
        erased += 1;
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
    try {
      const job = await store.get(erasureJobs, { user_id: userId });
      if (job === undefined) {
        await store.put(erasureJobs, {
          user_id: userId,
          step: ERASURE_STEPS[0],
          started_at: new Date(this.deps.now()),
          steps_done: 0,
        });
      }
      const first = Math.max(0, ERASURE_STEPS.indexOf((job?.step ?? ERASURE_STEPS[0]) as ErasureStep));
      let cursor = job?.cursor === "" ? undefined : job?.cursor;
      for (let i = first; i < ERASURE_STEPS.length; i += 1) {
        const step = ERASURE_STEPS[i] as ErasureStep;
        for (;;) {
          const progress = await this.deps.runStep(step, userId, cursor);
          await this.renew(userId);
          if (progress.done) break;
          cursor = progress.cursor;
          await store.put(erasureJobs, { user_id: userId, step, cursor: cursor ?? "" });
        }
        cursor = undefined;
        const next = ERASURE_STEPS[i + 1];
        if (next !== undefined) {
          await store.put(erasureJobs, { user_id: userId, step: next, cursor: "", steps_done: i + 1 });
        }
        this.deps.log?.(`erasure of ${userId}: ${step} done`);
      }
      await store.delete(erasureJobs, { user_id: userId });
      return true;
    } finally {
      await store.deleteIf(erasureLeases, { user_id: userId }, { holder }).catch(() => undefined);
    }
  }

  /** Where an erasure under way got to; undefined when none is. */
  async progress(userId: string): Promise<{ step: ErasureStep; startedAt: Date } | undefined> {
    const job = await this.deps.store.get(erasureJobs, { user_id: userId });
    const step = ERASURE_STEPS.find((s) => s === job?.step);
    if (job === undefined || step === undefined) return undefined;
    return { step, startedAt: job.started_at ?? new Date(0) };
  }

  private async renew(userId: string): Promise<void> {
    await this.deps.store.updateIf(
      erasureLeases,
      { user_id: userId, holder: this.deps.holder },
      { holder: this.deps.holder },
      LEASE,
    );
  }
}
