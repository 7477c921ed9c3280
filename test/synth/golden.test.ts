/**
 * The golden files of every reviewed topology and every example (test/golden.ts says what each holds).
 * Runs on cdktf and CDK Terrain alike: both must give the same files.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { EXAMPLES } from "../../examples";
import { expectGolden, GOLDEN_DIR, GoldenFiles, goldenFilesOf, goldenProblems, lineDiff } from "../golden";
import { synthOf, synthStack } from "../helpers";
import { REVIEWED_TOPOLOGIES } from "../topologies";

test.each(REVIEWED_TOPOLOGIES)("%s (%s): the golden files hold what it gives", (slug, _what, props) => {
  expectGolden(slug, goldenFilesOf(synthStack(props), props), ["aws-cdk"]);
});

test.each(Object.keys(EXAMPLES))("example %s: the golden files hold what it gives", (name) => {
  expectGolden(`example-${name}`, goldenFilesOf(synthOf((app) => new EXAMPLES[name](app, name) as any)));
});

describe("a golden test can fail", () => {
  // Under `npm run test:golden` goldenProblems writes instead of comparing.
  (process.env.KHA_UPDATE_GOLDEN ? test.skip : test)(
    "on a changed line, a missing file and a stale file, each named",
    () => {
      const files = goldenFilesOf(synthStack());
      const root = mkdtempSync(join(tmpdir(), "kha-golden-"));
      try {
        cpSync(join(GOLDEN_DIR, "default"), join(root, "default"), { recursive: true });
        expect(goldenProblems("default", files, { skip: ["aws-cdk"], root })).toEqual([]);
        writeFileSync(join(root, "default", "left-behind.txt"), "a file nothing gives\n");
        const changed: GoldenFiles = {
          ...files,
          "deploy-settings.env": files["deploy-settings.env"].replace("'", "'x"),
        };
        delete changed["instances.txt"];
        changed["new.txt"] = "x";
        expect(goldenProblems("default", changed, { skip: ["aws-cdk"], root })).toEqual([
          expect.stringMatching(/^default\/deploy-settings\.env differs:\n-.*\n\+.*'x/),
          "default/new.txt: missing",
          "default/instances.txt: stale (nothing gives it any more)",
          "default/left-behind.txt: stale (nothing gives it any more)",
        ]);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );

  test("the line diff names only the lines that changed, in order", () => {
    expect(lineDiff("a\nb\nc\nd", "a\nB\nc\nd\ne")).toEqual(["-b", "+B", "+e"]);
    expect(lineDiff("same", "same")).toEqual([]);
  });
});
