/** The command line's surface: --version, and each command listing only the options it uses (docs/cli.md). */
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { runCli } from "../support/run-cli.js";

/** The long options a command's --help lists. */
async function optionsOf(command: string): Promise<string[]> {
  const r = await runCli([command, "--help"]);
  expect(r.code).toBe(0);
  return [...r.stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]).filter((o) => o !== "--help");
}

describe("guardrail CLI options", () => {
  it("--version prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8"));
    for (const flag of ["--version", "-V"]) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  it("gate and fixtures never open a store or read a dataset: no --db, --dataset or --config", async () => {
    for (const command of ["gate", "fixtures"]) {
      const options = await optionsOf(command);
      expect(options).toContain("--json");
      for (const unused of ["--db", "--dataset", "--config"]) expect(options, `${command} ${unused}`).not.toContain(unused);
    }
    // The contract (docs/cli.md, Conventions) says every command takes them: accepted, unlisted, unused.
    const r = await runCli(["gate", "--repo", "o/r", "--sha", "not-a-sha", "--db", "x.db", "--dataset", "d", "--config", "c.yml"]);
    expect(r.stderr).not.toContain("unknown option");
  });

  it("sql reads the dataset's settings but never the store: --dataset and --config, no --db", async () => {
    const options = await optionsOf("sql");
    expect(options).toEqual(expect.arrayContaining(["--dataset", "--config", "--json", "--dialect", "--ds"]));
    expect(options).not.toContain("--db");
  });

  it("the commands on the store keep every global option", async () => {
    for (const command of ["ingest", "ingest-agg", "report", "evaluate", "backtest", "demo"])
      expect(await optionsOf(command), command).toEqual(expect.arrayContaining(["--db", "--dataset", "--config", "--json"]));
  });
});

describe("docs/cli.md documents the command line", () => {
  it("every command has its section, naming every option its --help lists", async () => {
    const { readFileSync } = await import("node:fs");
    const doc = readFileSync("docs/cli.md", "utf8");
    const help = await runCli(["--help"]);
    const commands = [...help.stdout.matchAll(/^ {2}([a-z][\w-]*)\b/gm)].map((m) => m[1]).filter((c) => c !== "help");
    expect(commands.length).toBeGreaterThanOrEqual(11);
    const missing: string[] = [];
    for (const command of commands) {
      const start = doc.indexOf(`\n## ${command}\n`);
      if (start < 0) {
        missing.push(`## ${command}`);
        continue;
      }
      const end = doc.indexOf("\n## ", start + 1);
      const section = doc.slice(start, end < 0 ? undefined : end);
      for (const option of await optionsOf(command)) if (!section.includes(option)) missing.push(`${command} ${option}`);
      // and the exit codes of every command are in the table
      expect(doc, command).toContain(`[\`${command}`);
    }
    expect(missing).toEqual([]);
  });
});
