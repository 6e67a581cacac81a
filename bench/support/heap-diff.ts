import { readFile } from "node:fs/promises";

/**
 * What grew between two V8 heap snapshots (`.heapsnapshot`, as InspectorSession.heapSnapshot writes them): plain
 * objects grouped by their property names (a cache entry, a timeline entry and a notification each have their
 * own), everything else by type and constructor, with the change in count and in self size. Enough to tell a
 * cache filling up (entries of a known shape) from something that should not be kept at all.
 */

interface HeapSnapshotFile {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface Growth {
  what: string;
  count: number;
  bytes: number;
}

async function tally(file: string): Promise<Map<string, { count: number; bytes: number }>> {
  const snap = JSON.parse(await readFile(file, "utf8")) as HeapSnapshotFile;
  const { meta } = snap.snapshot;
  const nodeWidth = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const field = (name: string) => meta.node_fields.indexOf(name);
  const [iType, iName, iSize, iEdges] = [
    field("type"),
    field("name"),
    field("self_size"),
    field("edge_count"),
  ];
  const [eType, eName] = [meta.edge_fields.indexOf("type"), meta.edge_fields.indexOf("name_or_index")];
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const groups = new Map<string, { count: number; bytes: number }>();
  let edge = 0;
  for (let i = 0; i < snap.nodes.length; i += nodeWidth) {
    const type = nodeTypes[snap.nodes[i + iType] ?? 0] ?? "?";
    const name = snap.strings[snap.nodes[i + iName] ?? 0] ?? "?";
    const edges = snap.nodes[i + iEdges] ?? 0;
    let what: string;
    if (type === "object" && name === "Object") {
      const props: string[] = [];
      for (let k = 0; k < edges; k++) {
        const at = (edge + k) * edgeWidth;
        if (edgeTypes[snap.edges[at + eType] ?? 0] === "property") {
          const prop = snap.strings[snap.edges[at + eName] ?? 0] ?? "?";
          if (!prop.startsWith("__")) props.push(prop);
        }
      }
      what = `{${props.sort().join(", ").slice(0, 120)}}`;
    } else if (type.includes("string")) {
      what = "(strings)";
    } else {
      what = `${type} ${name.slice(0, 60)}`;
    }
    edge += edges;
    const group = groups.get(what) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += snap.nodes[i + iSize] ?? 0;
    groups.set(what, group);
  }
  return groups;
}

/** The groups that grew most from `before` to `after`, by bytes. */
export async function heapGrowth(before: string, after: string, top = 15): Promise<Growth[]> {
  const [a, b] = [await tally(before), await tally(after)];
  const rows: Growth[] = [];
  for (const [what, now] of b) {
    const then = a.get(what) ?? { count: 0, bytes: 0 };
    rows.push({ what, count: now.count - then.count, bytes: now.bytes - then.bytes });
  }
  return rows.sort((x, y) => y.bytes - x.bytes).slice(0, top);
}
