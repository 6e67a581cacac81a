import { createHash } from "node:crypto";

/** 2^11 registers: a 2 KB sketch, counts off by about 2.3% (1.04 / √2048); small counts are near exact. */
const P = 11;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);

/**
 * A HyperLogLog sketch of distinct values (Flajolet et al., 2007, with linear counting for small sets): each
 * node sketches the viewers it saw of a post, and the union of every node's sketch (the register-wise maximum)
 * estimates the post's unique viewers without one row per viewer.
 */
export class HyperLogLog {
  readonly registers: Uint8Array;

  constructor(registers?: Uint8Array) {
    if (registers !== undefined && registers.length !== M) throw new Error(`a sketch has ${M} registers`);
    this.registers = registers ?? new Uint8Array(M);
  }

  static fromText(text: string): HyperLogLog {
    return new HyperLogLog(new Uint8Array(Buffer.from(text, "base64")));
  }

  /** Adds a value; answers whether the sketch changed. */
  add(value: string): boolean {
    const digest = createHash("sha1").update(value).digest();
    const high = digest.readUInt32BE(0);
    const low = digest.readUInt32BE(4);
    const index = high >>> (32 - P);
    // The 32 bits after the index: their leading zeros plus one is the register's candidate.
    const rest = ((high << P) | (low >>> (32 - P))) >>> 0;
    const rank = Math.clz32(rest) + 1;
    if (rank <= (this.registers[index] ?? 0)) return false;
    this.registers[index] = rank;
    return true;
  }

  merge(other: HyperLogLog): void {
    for (let i = 0; i < M; i++) {
      const theirs = other.registers[i] ?? 0;
      if (theirs > (this.registers[i] ?? 0)) this.registers[i] = theirs;
    }
  }

  estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (const register of this.registers) {
      sum += 2 ** -register;
      if (register === 0) zeros++;
    }
    const raw = (ALPHA * M * M) / sum;
    if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
    return Math.round(raw);
  }

  toText(): string {
    return Buffer.from(this.registers).toString("base64");
  }
}
