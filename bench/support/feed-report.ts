import type { ProfileLine } from "./cpu-profile";
import type { Visibility } from "./fanout-probe";
import type { LoadResult } from "./load";
import type { StoreWriteRates } from "./store-rate";

/** The figures of one run of bench/feed.ts, and how they are printed: one table per section, then the targets. */

export interface SeedStep {
  step: string;
  rows: number;
  seconds: number;
}

export interface ModeFigures {
  mode: "pull-only" | "hybrid" | "push-only";
  threshold: number;
  reads: LoadResult;
  /** Of the load's requests: beyond it, a request counts as an error. */
  requestTimeoutS: number;
  visibility: Visibility;
  /**
   * Push-only: more posts of the mega author on the warm node, in turn timed until every sampled follower's open
   * stream was told, and by polling as the first.
   */
  later?: { told: Visibility[]; polled: Visibility[] };
}

export interface FeedReport {
  /** How the node ran (compiled or through tsx) and why. */
  entry: string;
  /** Wall time of the whole run. */
  seconds: number;
  dataset: {
    users: number;
    audience: number;
    postsPerAuthor: number;
    meanFollowing: number;
    maxFollowing: number;
    threshold: number;
    celebrities: number;
    topFollowers: number[];
    megaFollowers: number;
    readers: number;
    groupReaders: number;
    sample: number;
  };
  seeding: SeedStep[];
  gateway: { mosaic: LoadResult; bare: LoadResult; pageBytes: number };
  /**
   * The seed design's feed (PostgreSQL, the seed's pull query, a bare node:http server): the same readers, and
   * the heaviest reader (the most follows) on both.
   */
  baseline: {
    seed: LoadResult;
    heaviest: { follows: number; mosaic: LoadResult; seed: LoadResult };
  };
  /** Reads by the number of celebrities the readers follow. */
  celebrityReaders: Map<number, LoadResult>;
  modes: ModeFigures[];
  fanout: {
    followers: number;
    /** Followers whose stored timeline holds the post, checked after the run: all of them, or the run fails. */
    delivered: number;
    /** Fan-out jobs left in the store after the run. */
    pendingJobs: number;
    visibleMs: number;
    entriesPerSecond: number;
    store: StoreWriteRates;
  };
  profile: { self: ProfileLine[]; total: ProfileLine[] } | undefined;
}

/** Issue #11's targets. */
const TARGETS = { gatewayRatio: 0.2, warmP99Ms: 30, seedRatio: 5, celebrityP99Ratio: 1.5, visibleMs: 1_000 };

export function printReport(report: FeedReport): void {
  printDataset(report);
  printGateway(report);
  printBaseline(report);
  printCelebrityReaders(report);
  printModes(report);
  printFanout(report);
  printTargets(report);
  if (report.profile) printProfile(report.profile);
  console.log(`\nnode: ${report.entry}; whole run ${report.seconds.toFixed(0)} s`);
}

function printDataset({ dataset: d, seeding }: FeedReport): void {
  title("Dataset and seeding");
  console.log(
    `${count(d.users)} users following ${d.meanFollowing.toFixed(1)} accounts on average (at most ${d.maxFollowing}), ` +
      `${d.postsPerAuthor} posts each; most followed: ${d.topFollowers.map(count).join(", ")}.\n` +
      `Hybrid threshold ${count(d.threshold)} followers: ${d.celebrities} celebrities, the mega author among them ` +
      `with ${count(d.megaFollowers)} followers (${count(d.audience)} accounts that follow only it).\n` +
      `Readers: ${count(d.readers)} ordinary, ${d.groupReaders} per celebrity group, ${d.sample} of the mega author's followers polled.`,
  );
  const rows = Object.fromEntries(
    seeding.map((s) => [
      s.step,
      {
        rows: count(s.rows),
        seconds: s.seconds.toFixed(1),
        "rows/s": s.rows > 0 ? count(s.rows / s.seconds) : "",
      },
    ]),
  );
  const total = seeding.reduce((sum, s) => sum + s.seconds, 0);
  console.table(rows);
  console.log(`seeding took ${total.toFixed(1)} s in all`);
}

function printGateway({ gateway }: FeedReport): void {
  title(`GET /api/feed?limit=20, warm ordinary readers (hybrid), against bare node:http sending one page`);
  console.table({
    mosaic: readRow(gateway.mosaic),
    "bare node:http": readRow(gateway.bare),
  });
  const ratio = gateway.mosaic.rps / gateway.bare.rps;
  console.log(
    `ratio mosaic / bare: ${ratio.toFixed(3)} of the requests per second (target ≥ ${TARGETS.gatewayRatio}); ` +
      `page served by the bare server: ${count(gateway.pageBytes)} bytes`,
  );
}

function printBaseline({ gateway, baseline }: FeedReport): void {
  title(
    "The seed design's feed: PostgreSQL 15, the seed's pull query and one hydrating query, bare node:http",
  );
  console.table({
    mosaic: readRow(gateway.mosaic),
    "seed (PostgreSQL)": readRow(baseline.seed),
    [`mosaic, heaviest reader (${baseline.heaviest.follows} follows)`]: readRow(baseline.heaviest.mosaic),
    [`seed, heaviest reader (${baseline.heaviest.follows} follows)`]: readRow(baseline.heaviest.seed),
  });
  console.log(
    `ratio mosaic / seed: ${(gateway.mosaic.rps / baseline.seed.rps).toFixed(2)} of the requests per second ` +
      `(target ≥ ${TARGETS.seedRatio}); heaviest reader: ` +
      `${(baseline.heaviest.mosaic.rps / baseline.heaviest.seed.rps).toFixed(2)}. The seed's page is smaller ` +
      "(no media variants, no relationship), which only flatters it.",
  );
}

function printCelebrityReaders({ celebrityReaders }: FeedReport): void {
  title("Readers by the celebrities they follow (hybrid: those posts are pulled at read time)");
  const base = celebrityReaders.get(0);
  const rows = Object.fromEntries(
    [...celebrityReaders].map(([celebrities, result]) => [
      `follow ${celebrities} celebrities`,
      { ...readRow(result), "p99 / p99 of 0": base ? (result.p99 / base.p99).toFixed(2) : "" },
    ]),
  );
  console.table(rows);
}

function printModes({ modes }: FeedReport): void {
  title("Pull-only, hybrid and push-only: warm reads, and a post of the mega author reaching its followers");
  const rows = Object.fromEntries(
    modes.map((m) => [
      m.mode,
      {
        threshold: count(m.threshold),
        "req/s": count(m.reads.rps),
        "p50 ms": ms(m.reads.p50),
        "p99 ms": ms(m.reads.p99),
        "timeout s": m.requestTimeoutS,
        "POST ack ms": ms(m.visibility.ackMs),
        "visible ms": ms(m.visibility.visibleMs),
        how: m.visibility.atFirstRead ? "first read" : `${m.visibility.rounds} polls`,
        "sample read ms": ms(m.visibility.sampleReadMs),
        "later posts: polled ms": (m.later?.polled ?? []).map((v) => ms(v.visibleMs)).join(", "),
        "later posts: told on stream ms": (m.later?.told ?? []).map((v) => ms(v.visibleMs)).join(", "),
      },
    ]),
  );
  console.table(rows);
  console.log(
    "visible: from sending the POST until every sampled follower could see the post; a pulled post shows on the\n" +
      "first read after the 201 for all of them at once, so its time is that of the first answer. sample read:\n" +
      "until all sampled feeds had been read showing it (with slow reads, mostly the time to read them).\n" +
      "later posts (push-only, after the first, taking turns): polled as the first, or told on stream: from sending\n" +
      "the POST until every sampled follower's open GET /api/stream had its feed event (sent once the post is in\n" +
      "their timeline; each feed is then read to check that it shows it). Polling adds the probe's own reads.",
  );
}

function printFanout({ fanout }: FeedReport): void {
  title(
    `Fan-out of one post to ${count(fanout.followers)} followers (push-only) against the store's own writes`,
  );
  console.table({
    "fan-out through the node": { "timeline rows/s": count(fanout.entriesPerSecond) },
    "store: batches of 500 rows, one partition each": { "timeline rows/s": count(fanout.store.batchOfPage) },
    "store: 500 one-row batches at once, a partition each": {
      "timeline rows/s": count(fanout.store.rowPerPartition),
    },
  });
  console.log(
    `fan-out / store (same shape): ${(fanout.entriesPerSecond / fanout.store.rowPerPartition).toFixed(3)}; ` +
      `fan-out / store (batched): ${(fanout.entriesPerSecond / fanout.store.batchOfPage).toFixed(3)}\n` +
      `the post reached ${count(fanout.visibleMs)} ms after the POST was sent; checked after the run: in the timeline ` +
      `of ${count(fanout.delivered)} of ${count(fanout.followers)} followers, ${fanout.pendingJobs} fan-out jobs left`,
  );
}

interface Check {
  figure: string;
  value: number;
  limit: number;
  /** Whether the limit is a ceiling (else a floor). */
  atMost: boolean;
}

function printTargets({ gateway, baseline, celebrityReaders, modes }: FeedReport): void {
  title("Targets");
  const base = celebrityReaders.get(0)?.p99 ?? NaN;
  const checks: Check[] = [
    {
      figure: "mosaic / bare req/s",
      value: gateway.mosaic.rps / gateway.bare.rps,
      limit: TARGETS.gatewayRatio,
      atMost: false,
    },
    {
      figure: "mosaic / seed (PostgreSQL) req/s",
      value: gateway.mosaic.rps / baseline.seed.rps,
      limit: TARGETS.seedRatio,
      atMost: false,
    },
    {
      figure: "warm feed p99 ms (hybrid)",
      value: gateway.mosaic.p99,
      limit: TARGETS.warmP99Ms,
      atMost: true,
    },
    ...[...celebrityReaders]
      .filter(([celebrities]) => celebrities > 0)
      .map(([celebrities, r]) => ({
        figure: `p99 following ${celebrities} / 0 celebrities`,
        value: r.p99 / base,
        limit: TARGETS.celebrityP99Ratio,
        atMost: true,
      })),
    ...modes.map((m) => ({
      figure: `${m.mode}: post visible to its followers, ms`,
      value: m.visibility.visibleMs,
      limit: TARGETS.visibleMs,
      atMost: true,
    })),
    ...modes.flatMap(({ mode, later }) =>
      later === undefined
        ? []
        : [
            laterCheck(`${mode}: later posts visible, polled`, later.polled),
            laterCheck(`${mode}: later posts told on every follower's stream`, later.told),
          ],
    ),
  ];
  console.table(
    Object.fromEntries(
      checks.map((c) => {
        const met = c.atMost ? c.value <= c.limit : c.value >= c.limit;
        const value = c.value >= 10 ? c.value.toFixed(0) : c.value.toFixed(c.value >= 1 ? 2 : 3);
        return [
          c.figure,
          { value, target: `${c.atMost ? "≤" : "≥"} ${c.limit}`, met: met ? "yes" : "MISSED" },
        ];
      }),
    ),
  );
}

function laterCheck(figure: string, posts: readonly Visibility[]): Check {
  return {
    figure: `${figure}, ms (worst of ${posts.length})`,
    value: Math.max(...posts.map((v) => v.visibleMs)),
    limit: TARGETS.visibleMs,
    atMost: true,
  };
}

function printProfile(profile: NonNullable<FeedReport["profile"]>): void {
  title("CPU profile of the node (share of busy samples)");
  console.log("self time:");
  console.table(profile.self);
  console.log("total time (the function and what it called):");
  console.table(profile.total);
}

function readRow(r: LoadResult) {
  return {
    "req/s": count(r.rps),
    "p50 ms": ms(r.p50),
    "p90 ms": ms(r.p90),
    "p99 ms": ms(r.p99),
    "max ms": ms(r.max),
    "bytes/answer": count(r.bytesPerResponse),
    requests: count(r.requests),
  };
}

function title(text: string): void {
  console.log(`\n== ${text}`);
}

function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function ms(n: number): string {
  return n.toFixed(1);
}
