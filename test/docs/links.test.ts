/**
 * The documentation stands alone: every relative link (and #anchor) in README.md, CHANGELOG.md and
 * docs/*.md resolves, and code comments cite docs/ pages that exist, never a document outside the repository.
 */
import { describe, it, expect } from "vitest";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const PAGES = ["README.md", "CHANGELOG.md", ...readdirSync("docs").filter((f) => f.endsWith(".md")).map((f) => join("docs", f))];

/** The text outside fenced code blocks, line by line (links and headings inside code are examples). */
function prose(text: string): string[] {
  let fenced = false;
  return text.split("\n").filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return false;
    }
    return !fenced;
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]
      .replace(/<[^>]+>/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function linksOf(text: string): string[] {
  const out: string[] = [];
  for (const line of prose(text)) {
    const code = line.replace(/`[^`]*`/g, "");
    for (const m of code.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push(m[1]);
  }
  return out;
}

describe("documentation links", () => {
  it("the README and the docs exist and the README stays short", () => {
    expect(PAGES.length).toBeGreaterThan(10);
    expect(readFileSync("README.md", "utf8").split("\n").length).toBeLessThanOrEqual(250);
  });

  it("no page holds a merge's conflict markers", () => {
    const marked = PAGES.filter((page) => /^(<{7} |={7}$|>{7} )/m.test(readFileSync(page, "utf8")));
    expect(marked).toEqual([]);
  });

  it("every relative link and anchor in README.md, CHANGELOG.md and docs/*.md resolves", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const page of PAGES) {
      for (const link of linksOf(readFileSync(page, "utf8"))) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // https:, mailto: …
        checked++;
        const [path, anchor] = link.split("#", 2) as [string, string | undefined];
        const target = path === "" ? page : normalize(join(dirname(page), decodeURIComponent(path)));
        if (!existsSync(target)) {
          broken.push(`${page}: ${link} (no ${target})`);
          continue;
        }
        if (anchor !== undefined) {
          if (!statSync(target).isFile() || !target.endsWith(".md")) broken.push(`${page}: ${link} (an anchor into something that is not a Markdown page)`);
          else if (!anchorsOf(readFileSync(target, "utf8")).has(decodeURIComponent(anchor))) broken.push(`${page}: ${link} (no heading #${anchor} in ${target})`);
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(broken).toEqual([]);
  });

  it("the anchor rule matches GitHub's on the headings these pages use", () => {
    const a = anchorsOf("## 3. HTTP gate and `guardrail gate`\n## Uploading a day's export\n## `guardrail backtest` — measure it\n## Notes\n## Notes\n```\n# not a heading\n```\n");
    expect([...a]).toEqual(["3-http-gate-and-guardrail-gate", "uploading-a-days-export", "guardrail-backtest--measure-it", "notes", "notes-1"]);
  });
});

describe("code comments cite docs/", () => {
  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|mjs|js)$/.test(e.name) ? [join(dir, e.name)] : [],
    );
  }
  // This file names the patterns it looks for.
  const files = [...sources("src"), ...sources("test"), ...sources("action")].filter((f) => f !== join("test", "docs", "links.test.ts"));

  it("no comment cites DESIGN or another document outside the repository", () => {
    const outside = files.filter((f) => /DESIGN §|DESIGN\.md|SEED-SPEC/.test(readFileSync(f, "utf8")));
    expect(outside).toEqual([]);
  });

  it("every docs/<page>.md a source file cites exists", () => {
    const missing: string[] = [];
    for (const f of files)
      for (const m of readFileSync(f, "utf8").matchAll(/docs\/([\w-]+)\.md/g)) if (!existsSync(join("docs", `${m[1]}.md`))) missing.push(`${f}: docs/${m[1]}.md`);
    expect(missing).toEqual([]);
  });
});
