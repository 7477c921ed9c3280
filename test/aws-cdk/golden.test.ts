/**
 * The AWS CDK flavour's part of each reviewed topology's golden files: its template's shape (every
 * resource's logical id and type; a changed id replaces the resource). The facts both flavours share
 * are the cdktf flavour's golden files, and the parity test proves this flavour gives the same.
 */
import { expectGolden } from "../golden";
import { REVIEWED_TOPOLOGIES } from "../topologies";
import { synthCdk } from "./helpers";

test.each(REVIEWED_TOPOLOGIES)("%s (%s): the template's shape is the golden file's", (slug, _what, props) => {
  const { json } = synthCdk(props, undefined, { outputs: true });
  const shape = Object.entries(json.Resources)
    .map(([id, r]) => `${id}  ${r.Type}`)
    .concat(Object.keys(json.Outputs ?? {}).map((id) => `${id}  (output)`))
    .sort();
  expectGolden(`${slug}/aws-cdk`, { "template-shape.txt": shape.join("\n") + "\n" });
});
