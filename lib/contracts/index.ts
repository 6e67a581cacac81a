export * from "./actions";
export * from "./events";
export * from "./objects";
export * from "./ports";
export * from "./serialized";
