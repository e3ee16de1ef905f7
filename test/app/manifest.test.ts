/** app.yml (the manifest GitHub registers the app from) and docs/github-app.md say the same thing. */
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const manifest = parse(readFileSync("app.yml", "utf8")) as { default_permissions: Record<string, string>; default_events: string[] };
const docs = readFileSync("docs/github-app.md", "utf8");

/** The permission table of docs/github-app.md: `| \`name\` | access | why |`. */
function documentedPermissions(): Record<string, string> {
  const start = docs.indexOf("| permission | access |");
  expect(start).toBeGreaterThan(-1);
  const rows = docs.slice(start).split("\n").slice(2);
  const out: Record<string, string> = {};
  for (const row of rows) {
    const m = /^\| `(\w+)` \| (read|write) \|/.exec(row);
    if (!m) break;
    out[m[1]] = m[2];
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

describe("app.yml and docs/github-app.md", () => {
  it("list the same permissions with the same access", () => {
    expect(documentedPermissions()).toEqual(manifest.default_permissions);
  });

  it("name every event the manifest subscribes to", () => {
    const line = docs.slice(docs.indexOf("Events (`default_events`)"), docs.indexOf("Events (`default_events`)") + 600);
    for (const event of manifest.default_events) expect(line, event).toContain(`\`${event}\``);
  });

  it("actions: write is asked for because the code re-runs workflow jobs, which read access cannot", () => {
    const code = sources("src").map((f) => readFileSync(f, "utf8")).join("\n");
    expect(code).toMatch(/reRunWorkflowFailedJobs|rerun-failed-jobs/);
    expect(manifest.default_permissions.actions).toBe("write");
  });

  it("every event the app handles is one the manifest subscribes to", () => {
    const code = sources("src/app").concat(["src/index.ts"]).map((f) => readFileSync(f, "utf8")).join("\n");
    const handled = new Set<string>();
    for (const m of code.matchAll(/app\.on\(\s*(\[[^\]]*\]|"[^"]+")/g)) for (const e of m[1].matchAll(/"([a-z_]+)(?:\.[a-z_]+)?"/g)) handled.add(e[1]);
    handled.delete("installation"); // every app receives it
    expect(handled.size).toBeGreaterThan(5);
    for (const e of handled) expect(manifest.default_events, e).toContain(e);
  });
});
