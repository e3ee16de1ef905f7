/** `guardrail check-config`: the check run's config errors, before the file is merged (src/cli/commands/check-config.ts). */
import { describe, it, expect, beforeAll } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../support/run-cli.js";

let dir: string;
function file(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** Runs in `cwd`, where the default paths are looked up. */
async function inDir(cwd: string, args: string[]) {
  const before = process.cwd();
  process.chdir(cwd);
  try {
    return await runCli(args);
  } finally {
    process.chdir(before);
  }
}

describe("guardrail check-config", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "guardrail-check-config-"));
  });

  it("a valid file: exit 0 and what it chose", async () => {
    const path = file("ok.yml", "dataset: shop\nhostnames: [www.example.com]\nmetrics:\n  signups: { enforce: false }\n");
    const r = await runCli(["check-config", path]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toContain(`${path}: valid (dataset shop, overrides for signups).`);
  });

  it("a field of the wrong kind: exit 2 and the check run's sentence, naming the file and field", async () => {
    const path = file("bad-field.yml", "dataset: default\non_missing_data: sometimes\n");
    const r = await runCli(["check-config", path]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`^guardrail: ${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: field on_missing_data: .*"neutral".*\\n$`));
  });

  it("invalid YAML names the line", async () => {
    const path = file("bad-yaml.yml", "dataset: default\nhostnames: [unclosed\n");
    const r = await runCli(["check-config", path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/: is not valid YAML or not a mapping of settings \(line \d+: /);
    const list = await runCli(["check-config", file("list.yml", "- dataset: default\n")]);
    expect(list.code).toBe(2);
    expect(list.stderr).toContain("field (top level): expected a mapping of settings");
  });

  it("--server validates the server file and checks the repo's metric overrides against its metrics", async () => {
    const server = file("guardrail.config.yml", "retention_days: 30\n");
    const repo = file("unknown-metric.yml", "metrics:\n  signup_rate: { enforce: false }\n");
    const r = await runCli(["check-config", repo, "--server", server]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${repo}: field metrics.signup_rate: expected the name of a metric of dataset "default" (`);
    // Without a server file the metric names cannot be known, and the output says so.
    const alone = await inDir(join(dir, ".."), ["check-config", repo]);
    expect(alone.code).toBe(0);
    expect(alone.stdout).toContain("checked against the server's only with --server");

    const badServer = file("bad-server.yml", "retention_days: -3\n");
    const b = await runCli(["check-config", "--server", badServer, repo]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/bad-server\.yml: field retention_days/);
  });

  it("with no FILE it reads .github/guardrail.yml, and says so when there is none", async () => {
    const repoRoot = mkdtempSync(join(tmpdir(), "guardrail-repo-"));
    const none = await inDir(repoRoot, ["check-config"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe("guardrail: .github/guardrail.yml: cannot read the file (run guardrail check-config in the repository's root, or pass the file).\n");
    mkdirSync(join(repoRoot, ".github"));
    writeFileSync(join(repoRoot, ".github", "guardrail.yml"), "dataset: web\n");
    const ok = await inDir(repoRoot, ["check-config", "--json"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ ok: true, checked: [{ file: ".github/guardrail.yml", kind: "repo" }] });
  });

  it("--server alone checks only the server file", async () => {
    const server = file("only/guardrail.config.yml", "retention_days: 30\n");
    const r = await inDir(mkdtempSync(join(tmpdir(), "guardrail-empty-")), ["check-config", "--server", server, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).checked).toEqual([{ file: server, kind: "server" }]);
  });
});
