/**
 * The README is the front door and the rest lives in docs/ and CONTRIBUTING.md: every relative link
 * between them must reach a file, and every #anchor a heading of that file (GitHub's slugs).
 */
import { existsSync, readFileSync, readdirSync } from "fs";
import { dirname, join, relative } from "path";
import { ROOT } from "../helpers";

const PAGES = ["README.md", "CONTRIBUTING.md", ...readdirSync(join(ROOT, "docs")).map((f) => `docs/${f}`)].filter((p) =>
  p.endsWith(".md"),
);

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

function anchorsOf(page: string): Set<string> {
  const text = readFileSync(join(ROOT, page), "utf8").replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

const links = PAGES.flatMap((page) => {
  const text = readFileSync(join(ROOT, page), "utf8").replace(/```[\s\S]*?```/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1])
    .filter((target) => !/^[a-z]+:/.test(target))
    .map((target) => [page, target] as const);
});

test("the pages link to each other", () => {
  expect(links.length).toBeGreaterThan(20);
});

test.each(links)("%s links to %s, which exists", (page, target) => {
  const [file, anchor] = target.split("#");
  const resolved = file ? relative(ROOT, join(ROOT, dirname(page), file)) : page;
  expect(existsSync(join(ROOT, resolved))).toBe(true);
  if (anchor && resolved.endsWith(".md")) expect([...anchorsOf(resolved)]).toContain(anchor);
});
