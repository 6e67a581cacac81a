import type { ChildProcess } from "node:child_process";
import { startMosaic } from "./processes";

export interface NodeSettings {
  dataDir: string;
  /** The token key the tokens were minted with. */
  secret: string;
  port: number;
  built: boolean;
  /** When set, the node writes a V8 CPU profile there as it exits. */
  profileDir?: string;
}

/** One embedded node on the seeded data, with the celebrity threshold of the mode under test. */
export function startFeedNode(
  settings: NodeSettings,
  threshold: number,
): Promise<{ url: string; child: ChildProcess }> {
  return startMosaic(
    {
      PORT: String(settings.port),
      DATA_DIR: settings.dataDir,
      JWT_SECRET: settings.secret,
      CELEBRITY_THRESHOLD: String(threshold),
      // Ids of the node must not collide with the seeder's (worker 1000).
      WORKER_ID: "1",
      LOG_LEVEL: "warn",
      RATE_LIMITS: "off",
      ...(settings.profileDir !== undefined && {
        NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${settings.profileDir}`,
      }),
    },
    { built: settings.built },
  );
}
