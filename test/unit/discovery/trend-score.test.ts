import { expect } from "chai";
import { decay, trendScore, type HourAuthors } from "../../../lib/discovery/trend-score";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 4, 1, 12, 30);
const THIS_HOUR = Date.UTC(2026, 4, 1, 12);
const settings = { now: NOW, halfLifeMs: 6 * HOUR, minAuthors: 3 };

/** An hour `hoursAgo` before this one, used by the authors given. */
const hour = (hoursAgo: number, ...authorIds: string[]): HourAuthors => ({
  hour: THIS_HOUR - hoursAgo * HOUR,
  authors: authorIds.length,
  authorIds,
});
const people = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe("trendScore", () => {
  it("never trends one account, however many posts and hours it fills", () => {
    // Fifty posts in one hour are one author in that hour; the same account every hour of the day is still one.
    const spam = Array.from({ length: 24 }, (_, i) => hour(i, "spammer"));
    const trend = trendScore({ hours: spam, baseline: 0, ...settings });
    expect(trend.authors).to.equal(1);
    expect(trend.score).to.equal(0);
  });

  it("needs the minimum of distinct authors over the window", () => {
    expect(trendScore({ hours: [hour(0, "a", "b")], baseline: 0, ...settings }).score).to.equal(0);
    expect(trendScore({ hours: [hour(0, "a"), hour(3, "b")], baseline: 0, ...settings }).score).to.equal(0);
    expect(
      trendScore({ hours: [hour(0, "a", "b"), hour(3, "c")], baseline: 0, ...settings }).score,
    ).to.be.above(0);
  });

  it("counts each author once, in the latest hour they used the tag", () => {
    const trend = trendScore({
      hours: [hour(5, "a", "b", "c"), hour(0, "a", "b"), hour(2, "b", "d")],
      baseline: 0,
      ...settings,
    });
    expect(trend.authors).to.equal(4);
    expect(trend.hours.map((h) => [h.hour, [...h.authorIds]])).to.deep.equal([
      [THIS_HOUR, ["a", "b"]],
      [THIS_HOUR - 2 * HOUR, ["d"]],
      [THIS_HOUR - 5 * HOUR, ["c"]],
    ]);
  });

  it("halves an hour's weight every half-life", () => {
    const now = trendScore({ hours: [hour(0, ...people("u", 6))], baseline: 0, ...settings }).score;
    const sixHoursAgo = trendScore({ hours: [hour(6, ...people("u", 6))], baseline: 0, ...settings }).score;
    const twelve = trendScore({ hours: [hour(12, ...people("u", 6))], baseline: 0, ...settings }).score;
    expect(sixHoursAgo / now).to.be.closeTo(0.5, 1e-9);
    expect(twelve / now).to.be.closeTo(0.25, 1e-9);
    expect(decay(0, HOUR)).to.equal(1);
    expect(decay(3 * HOUR, HOUR)).to.equal(0.125);
  });

  it("scores against the tag's own baseline: its usual crowd does not trend, a new tag with fewer people does", () => {
    const usual = trendScore({ hours: [hour(0, ...people("u", 20))], baseline: 20, ...settings });
    expect(usual.score, "at its baseline").to.equal(0);
    const busierThanUsual = trendScore({ hours: [hour(0, ...people("u", 25))], baseline: 20, ...settings });
    const brandNew = trendScore({ hours: [hour(0, ...people("n", 8))], baseline: 0, ...settings });
    expect(busierThanUsual.score).to.be.above(0);
    expect(brandNew.score, "8 new people beat 5 more than usual").to.be.above(busierThanUsual.score);
    // (excess²) / baseline, at the middle of this hour (no decay yet): 5 over 20 → 1.25; 8 over nothing → 64.
    expect(busierThanUsual.score).to.be.closeTo(1.25, 1e-9);
    expect(brandNew.score).to.be.closeTo(64, 1e-9);
  });

  it("leaves out excluded authors (a reader's blocks, suspended accounts)", () => {
    const hours = [hour(0, "a", "b", "c")];
    expect(trendScore({ hours, baseline: 0, ...settings }).score).to.be.above(0);
    const blocked = trendScore({ hours, baseline: 0, ...settings, excluded: new Set(["c"]) });
    expect([blocked.authors, blocked.score]).to.deep.equal([2, 0]);
  });

  it("counts authors beyond the ids kept as they were counted", () => {
    const capped: HourAuthors = { hour: THIS_HOUR, authors: 600, authorIds: ["a", "b"] };
    const trend = trendScore({ hours: [capped], baseline: 0, ...settings, excluded: new Set(["a"]) });
    expect(trend.authors).to.equal(599);
  });
});
