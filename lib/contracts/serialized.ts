declare const serializedOf: unique symbol;

/**
 * The JSON text of a `T`, made once where the answer is made. An action whose contract says `serialized` answers
 * this instead of the object: the gateway sends the text as it is, and between nodes it travels as one string, so
 * a feed page is neither parsed nor serialised again on its way (and the node that makes it can build the text
 * from parts it serialised before: lib/posts/post-json.ts).
 */
export type Serialized<T> = string & { readonly [serializedOf]: T };

/** The JSON text of `value`. */
export function serialize<T>(value: T): Serialized<T> {
  return JSON.stringify(value) as Serialized<T>;
}

/** Text known to be the JSON of a `T` (built piece by piece from serialised parts). */
export function asSerialized<T>(text: string): Serialized<T> {
  return text as Serialized<T>;
}

/** The value again (tests, and callers that need the object). */
export function parseSerialized<T>(text: Serialized<T>): T {
  return JSON.parse(text) as T;
}
