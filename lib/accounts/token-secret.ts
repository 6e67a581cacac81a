import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * The token key: the configured one, or in embedded mode one generated at first start and kept under the
 * data dir, so tokens survive restarts without anyone having to invent a secret to try Mosaic.
 */
export async function loadTokenSecret(configured: string | undefined, dataDir: string): Promise<string> {
  if (configured !== undefined) return configured;
  const file = path.join(dataDir, "keys", "jwt-secret");
  const existing = await readIfPresent(file);
  if (existing !== undefined) return existing;

  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, randomBytes(48).toString("base64url"), { mode: 0o600 });
  // link() never replaces an existing file and never exposes a half-written one: if another process got there
  // first, both end up reading its key.
  await link(temp, file).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  });
  await unlink(temp);
  const stored = await readIfPresent(file);
  if (stored === undefined) throw new Error(`could not keep the token key at ${file}`);
  return stored;
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    const text = (await readFile(file, "utf8")).trim();
    return text.length >= 32 ? text : undefined;
  } catch (err: unknown) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
