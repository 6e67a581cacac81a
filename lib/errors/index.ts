export * from "./app-errors";
export * from "./port-error";
