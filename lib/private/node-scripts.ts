import { existsSync, readFileSync } from "fs";
import { dirname, join } from "path";
import { NODE_SCRIPTS, NodeScripts } from "../render/internal";

/** The userdata/ folder: beside lib/ in the source tree and in the published package. */
export function userdataDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, "userdata");
    if (existsSync(join(candidate, "bootstrap-control-plane.sh"))) return candidate;
  }
  throw new Error(`cannot find the userdata/ scripts above ${__dirname}; the package is incomplete`);
}

/** Reads the scripts the nodes run (the only file I/O of synthesis). */
export function loadNodeScripts(): NodeScripts {
  const dir = userdataDir();
  return Object.fromEntries(
    NODE_SCRIPTS.map((name) => [name, readFileSync(join(dir, name), "utf8")]),
  ) as unknown as NodeScripts;
}
