import type { NodeMetrics } from "../../../lib/metrics";

/** A node's samples by series, as written (`name{label="value"}`), after one scrape. */
export async function scrape(metrics: NodeMetrics): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  for (const line of (await metrics.render()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** The metric families a node exposes (`# TYPE` lines), whether or not they have samples yet. */
export async function families(metrics: NodeMetrics): Promise<Set<string>> {
  const text = await metrics.render();
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1] ?? ""));
}
