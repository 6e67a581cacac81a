export * from "./app-errors";
