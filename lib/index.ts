export * from "./constructs";
export * from "./spec";
export * as render from "./render";
export { UserDataTooLargeError } from "./render/user-data";
