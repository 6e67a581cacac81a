import { inspect } from "node:util";

const REDACTED = "[redacted]";

/**
 * A value that must never be printed: the Config holds it, but logging, inspecting or serialising the Config (or
 * this) shows `[redacted]`. Only the adapter that needs it calls reveal(), at the moment it hands it to its driver.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
