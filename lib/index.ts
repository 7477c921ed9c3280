export * from "./constructs";
export * from "./spec";
export * as render from "./render";
