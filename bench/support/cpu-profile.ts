import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";

/** The parts of a V8 .cpuprofile (what `node --cpu-prof` writes) that a summary needs. */
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

export interface ProfileLine {
  function: string;
  /** Share of the busy samples (idle and GC-less program time left out). */
  percent: number;
}

const ROOT = path.resolve(__dirname, "../..");

/** Frames that are not JavaScript work of the process. */
const NOT_WORK = new Set(["(root)", "(idle)", "(program)"]);

/**
 * The functions the node spent its time in, from its main thread's profile in `dir`: by self time (where the CPU
 * was) and by total time (what it was doing it for), each as a share of the samples that were not idle.
 */
export async function summariseProfile(
  dir: string,
  top: number,
): Promise<{ self: ProfileLine[]; total: ProfileLine[] }> {
  const profile = await mainThreadProfile(dir);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let busy = 0;
  for (const sample of profile.samples) {
    const leaf = byId.get(sample);
    if (leaf === undefined || NOT_WORK.has(leaf.callFrame.functionName)) continue;
    busy++;
    add(self, label(leaf.callFrame));
    // Each function counts once per sample however often it recurs on the stack.
    const onStack = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parentOf.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (frame && !NOT_WORK.has(frame.functionName)) onStack.add(label(frame));
    }
    for (const name of onStack) add(total, name);
  }
  const lines = (counts: Map<string, number>) =>
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, n]) => ({ function: fn, percent: Math.round((1000 * n) / Math.max(1, busy)) / 10 }));
  return { self: lines(self), total: lines(total) };
}

/** Each thread writes its own profile (tsx's module loader runs in one); the main thread's is the largest. */
async function mainThreadProfile(dir: string): Promise<CpuProfile> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile"));
  const sized = await Promise.all(
    files.map(async (f) => ({ file: path.join(dir, f), size: (await stat(path.join(dir, f))).size })),
  );
  const largest = sized.sort((a, b) => b.size - a.size)[0];
  if (largest === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  return JSON.parse(await readFile(largest.file, "utf8")) as CpuProfile;
}

function label(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, "");
  // Files of this repository relative to it; node: internals and native frames as they are.
  const file = url === "" ? "(native)" : url.startsWith("/") ? path.relative(ROOT, url) : url;
  // Through tsx a .ts file runs as one transformed line: its line numbers would mislead.
  const line = file.endsWith(".ts") ? "" : `:${frame.lineNumber + 1}`;
  return `${frame.functionName || "(anonymous)"} ${file}${line}`;
}

function add(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
