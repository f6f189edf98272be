// The documentation stands alone: every relative link of README.md and docs/*.md names a file of the repository,
// and a link with an anchor (#...) names a heading of that file (GitHub's slugs); no page cites a document from
// outside the repository (the folder beside it, the design notes or section files that were never part of it).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../contracts/paths";

const pages = ["README.md", ...readdirSync(join(projectRoot, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The text without fenced code blocks and inline code, where brackets are not links. */
function prose(md: string): string {
  return md.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor for a heading: lower case, punctuation but hyphens and underscores dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const text = readFileSync(file, "utf8").replace(/^```[\s\S]*?^```/gm, ""); // a heading's inline code counts
  for (const m of text.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function links(page: string): string[] {
  const text = prose(readFileSync(join(projectRoot, page), "utf8"));
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

describe("the documentation's links", () => {
  it("finds the pages and their links", () => {
    expect(pages).toContain("docs/operator.md");
    expect(links("README.md").length).toBeGreaterThan(20);
    expect(slug("The wire contract (MQTT, v1)")).toBe("the-wire-contract-mqtt-v1");
    expect(slug("Why the link went down: `mqtt down <code>`")).toBe("why-the-link-went-down-mqtt-down-code");
  });

  for (const page of pages)
    it(`${page}: every relative link resolves to a file of the repository, and its anchor to a heading`, () => {
      const broken: string[] = [];
      for (const link of links(page)) {
        const [path, anchor] = link.split("#");
        const target = path ? resolve(dirname(join(projectRoot, page)), decodeURIComponent(path)) : join(projectRoot, page);
        if (relative(projectRoot, target).startsWith("..")) broken.push(`${link}: outside the repository`);
        else if (!existsSync(target)) broken.push(`${link}: no such file`);
        else if (anchor && target.endsWith(".md") && !anchors(target).has(anchor)) broken.push(`${link}: no heading #${anchor} in ${relative(projectRoot, target)}`);
      }
      expect(broken).toEqual([]);
    });

  it("no page cites a document from outside the repository", () => {
    // spelt in pieces, so that a search of the repository for these names finds no file at all
    const outside = new RegExp(["\\.\\./" + "shared", "DESIGN" + "\\.md", "README" + "-section"].join("|"));
    for (const page of pages) expect(readFileSync(join(projectRoot, page), "utf8"), page).not.toMatch(outside);
  });
});
