import { readFileSync } from "fs";
import {
  API_REFERENCE,
  DOCUMENTED_INTERFACES,
  TYPES_FILE,
  readInterfaceDocs,
  renderApiReference,
} from "../../scripts/api-reference";

const docs = readInterfaceDocs(TYPES_FILE);

test("docs/API.md is what `npm run docs` generates from lib/cluster-spec/types.ts (run it after changing a prop)", () => {
  expect(readFileSync(API_REFERENCE, "utf8")).toBe(renderApiReference(docs));
});

test("every input interface is documented, and every prop has a meaning; every optional one a default", () => {
  expect(docs.map((d) => d.name)).toEqual([...DOCUMENTED_INTERFACES]);
  const props = docs.flatMap((d) => d.props.map((p) => ({ ...p, where: `${d.name}.${p.name}` })));
  expect(props.length).toBeGreaterThan(35);
  expect(props.filter((p) => p.description === "").map((p) => p.where)).toEqual([]);
  expect(props.filter((p) => p.optional && !p.defaultValue).map((p) => p.where)).toEqual([]);
});
