import { Architecture } from "./types";

/** Graviton instance families (m7g, t4g, c8gd, ..., and the first Graviton, a1) are arm64; everything else this project runs is amd64. */
export function instanceArchitecture(instanceType: string): Architecture {
  return /^([a-z]+\d+g[a-z]*|a1)\./.test(instanceType) ? "arm64" : "amd64";
}
