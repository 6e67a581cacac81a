import { hash, verify } from "@node-rs/argon2";

/**
 * argon2id (the library's default algorithm; a test checks the hash says so) with OWASP's recommended floor:
 * 19 MiB, 2 passes. Raising it costs CPU on every login: measure before changing.
 */
const PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export async function hashPassword(password: string): Promise<string> {
  return hash(password, PARAMS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of a real verification when the account does not exist, so login timing does not reveal
 * which usernames and emails are registered.
 */
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummyHash ??= hashPassword("mosaic-timing-equaliser");
  await verifyPassword(await dummyHash, password);
  return false;
}
