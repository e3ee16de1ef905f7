/**
 * Keeps docs/architecture.md true: every import between folders of src/ is
 * one its "Import boundaries" table allows; SQL lives in src/store/; only the
 * GitHub-facing folders import Probot, Octokit or node:http.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const SRC = join(ROOT, "src");

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** "src/app/handlers/x.ts" → "app"; "src/index.ts" → "index.ts". */
function folderOf(file: string): string {
  return relative(SRC, file).split("/")[0].replace(/\.js$/, ".ts");
}

/** Every module specifier a file imports or re-exports, static or dynamic, and whether only types are taken. */
export function importsOf(text: string): { spec: string; typeOnly: boolean }[] {
  const out: { spec: string; typeOnly: boolean }[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const m of code.matchAll(/\b(?:import|export)\s+(type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']/g)) out.push({ spec: m[2], typeOnly: !!m[1] });
  for (const m of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) out.push({ spec: m[1], typeOnly: false });
  return out;
}

interface Allowed {
  imports: Set<string>;
  /** Folders it may take types from only (`import type`), never code. */
  types: Set<string>;
}

/** The table under "## Import boundaries": folder → what it may import (folders of one row share one entry). */
export function boundaries(markdown: string): Map<string, Allowed> {
  const section = markdown.split(/^## Import boundaries\s*$/m)[1]?.split(/^## /m)[0] ?? "";
  const table = new Map<string, Allowed>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 5 || !cells[1].startsWith("`")) continue;
    const names = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    const allowed: Allowed = { imports: new Set(names(cells[2])), types: new Set(names(cells[3])) };
    for (const folder of names(cells[1])) table.set(folder, allowed);
  }
  return table;
}

const files = walk(SRC);
const table = boundaries(readFileSync(join(ROOT, "docs/architecture.md"), "utf8"));

describe("import boundaries (docs/architecture.md)", () => {
  it("the table parses and names every folder of src/", () => {
    const folders = new Set(files.map(folderOf).filter((f) => !f.endsWith(".ts")));
    expect([...folders].filter((f) => !table.has(f))).toEqual([]);
    expect(table.get("shared")?.imports).toEqual(new Set());
    expect(table.get("github")?.imports).toEqual(new Set(["shared", "config", "present", "store"]));
    // The event primitives sit below both ingests; the aggregate never reaches up into ingest or publish.
    expect(table.get("events")?.imports).toEqual(new Set(["shared", "config", "present"]));
    for (const up of ["ingest", "publish"]) expect(table.get("aggregate")?.imports.has(up), `aggregate may import ${up}`).toBe(false);
    expect(table.get("publish")?.imports.has("ingest")).toBe(false);
  });

  it("the parser sees static, type-only, re-exported and dynamic imports", () => {
    const sample = `import a from "./a.js";\nimport type { B } from "../b.js";\nexport { c } from "./c.js";\nconst d = await import("./d.js");\n// import x from "./commented.js";`;
    expect(importsOf(sample)).toEqual([
      { spec: "./a.js", typeOnly: false },
      { spec: "../b.js", typeOnly: true },
      { spec: "./c.js", typeOnly: false },
      { spec: "./d.js", typeOnly: false },
    ]);
  });

  it("every import between folders of src/ points down the layers", () => {
    const entries = new Set(["src/index.ts", "src/http/serve.ts"]);
    const violations: string[] = [];
    for (const file of files) {
      const from = folderOf(file);
      if (entries.has(relative(ROOT, file))) continue;
      for (const { spec, typeOnly } of importsOf(readFileSync(file, "utf8"))) {
        if (!spec.startsWith(".")) continue;
        const to = folderOf(resolve(dirname(file), spec));
        if (to === from) continue;
        const allowed = table.get(from);
        if (!allowed?.imports.has(to) && !(typeOnly && allowed?.types.has(to))) violations.push(`${relative(ROOT, file)} imports ${spec} (${from} → ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("folders that import each other's code, directly or through others, share a row of the table (no cycle between layers)", () => {
    const entries = new Set(["src/index.ts", "src/http/serve.ts"]);
    const graph = new Map<string, Set<string>>();
    for (const file of files) {
      const from = folderOf(file);
      if (entries.has(relative(ROOT, file))) continue;
      for (const { spec, typeOnly } of importsOf(readFileSync(file, "utf8"))) {
        const to = spec.startsWith(".") ? folderOf(resolve(dirname(file), spec)) : from;
        if (to !== from && !typeOnly) (graph.get(from) ?? graph.set(from, new Set()).get(from)!).add(to);
      }
    }
    const reaches = (a: string, b: string, seen = new Set<string>()): boolean =>
      a === b || (!seen.has(a) && (seen.add(a), [...(graph.get(a) ?? [])].some((n) => reaches(n, b, seen))));
    const cycles = [...graph].flatMap(([a, tos]) => [...tos].filter((b) => reaches(b, a) && table.get(a) !== table.get(b)).map((b) => `${a} → ${b} → … → ${a}`));
    expect(cycles).toEqual([]);
  });

  it("Probot, Octokit and node:http are imported only by github, app, jobs, http, cli and bench", () => {
    const edge = new Set(["github", "app", "jobs", "http", "cli", "bench", "index.ts"]);
    const violations = files
      .filter((f) => !edge.has(folderOf(f)))
      .flatMap((f) => importsOf(readFileSync(f, "utf8")).filter((i) => /^(probot|@octokit\/|node:https?$)/.test(i.spec)).map((i) => `${relative(ROOT, f)} imports ${i.spec}`));
    expect(violations).toEqual([]);
  });

  it("SQL statements live in src/store/", () => {
    const violations = files
      .filter((f) => folderOf(f) !== "store" && folderOf(f) !== "bench")
      .filter((f) => /\.(?:prepare|exec)\(\s*[`"']/.test(readFileSync(f, "utf8")))
      .map((f) => relative(ROOT, f));
    expect(violations).toEqual([]);
  });
});

describe("the test tree mirrors src/", () => {
  it("every folder of test/ is a folder of src/, or tests the repository's other parts (action/, docs/, the container: ops), or is the shared support", () => {
    const testDirs = readdirSync(join(ROOT, "test")).filter((d) => statSync(join(ROOT, "test", d)).isDirectory());
    const srcDirs = new Set(readdirSync(SRC).filter((d) => statSync(join(SRC, d)).isDirectory()));
    const others = new Set(["support", "action", "docs", "ops"]);
    expect(testDirs.filter((d) => !srcDirs.has(d) && !others.has(d))).toEqual([]);
  });
});
