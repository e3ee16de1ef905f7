import { describe, expect, it } from "vitest";
import { fanOut, type FanOutEvent, type FanOutTargets, type InstallationOctokit } from "../../src/jobs/fan-out.js";
import { alertEvents } from "../../src/jobs/targets.js";
import type { Evaluation } from "../../src/shared/types.js";

const evaluation: Evaluation = { ds: "2026-03-10", dataset: "default", status: "fail", verdicts: [], versions: [] };
const event: FanOutEvent = { kind: "published", dataset: "default", ds: "2026-03-10", evaluation };

interface Repo {
  name: string;
  installation: number;
}

function targets(calls: string[], failing: { auth?: number; step?: [string, string] } = {}): FanOutTargets<Repo> {
  const step = (name: string) => ({
    name,
    run: async (octokit: InstallationOctokit, repo: Repo) => {
      calls.push(`${repo.name}:${name}:${(octokit as unknown as { id: number }).id}`);
      if (failing.step && failing.step[0] === repo.name && failing.step[1] === name) throw new Error("HTTP 403 from GitHub");
    },
  });
  return {
    repos: () => [
      { name: "acme/a", installation: 1 },
      { name: "acme/b", installation: 2 },
      { name: "acme/c", installation: 3 },
    ],
    installationId: (r) => r.installation,
    label: (r) => r.name,
    repoSteps: [step("checks"), step("regression"), step("statuses"), step("incident")],
    datasetSteps: [
      { name: "chat", github: false, run: async () => void calls.push("dataset:chat") },
      { name: "protection rules", github: true, run: async () => void calls.push("dataset:protection rules") },
    ],
  };
}

const quiet = { info: () => {}, warn: () => {} };

describe("fan-out", () => {
  it("updates every repo with its own installation token, each in a fixed order (repos side by side), then the dataset-wide steps", async () => {
    const calls: string[] = [];
    const auth = async (id: number) => ({ id }) as unknown as InstallationOctokit;
    const out = await fanOut(targets(calls), auth, event, quiet);
    for (const [i, r] of ["a", "b", "c"].entries())
      expect(calls.filter((c) => c.startsWith(`acme/${r}:`))).toEqual(["checks", "regression", "statuses", "incident"].map((s) => `acme/${r}:${s}:${i + 1}`));
    expect(calls.slice(-2)).toEqual(["dataset:chat", "dataset:protection rules"]);
    expect(calls.length).toBe(14);
    expect(out.every((o) => o.ok)).toBe(true);
  });

  it("without a GitHub App only the steps that need no GitHub run: the chat still hears", async () => {
    const calls: string[] = [];
    const out = await fanOut(targets(calls), null, event, quiet);
    expect(calls).toEqual(["dataset:chat"]);
    expect(out).toEqual([{ target: "default", step: "chat", ok: true }]);
  });

  it("one repo's failure (auth or a step) is logged and the others still get every update", async () => {
    const calls: string[] = [];
    const warnings: string[] = [];
    const auth = async (id: number) => {
      if (id === 1) throw new Error("installation 1 suspended");
      return { id } as unknown as InstallationOctokit;
    };
    const out = await fanOut(targets(calls, { step: ["acme/b", "regression"] }), auth, event, { info: () => {}, warn: (m) => warnings.push(m) });
    expect(calls.filter((c) => c.startsWith("acme/a"))).toEqual([]);
    expect(calls.filter((c) => c.startsWith("acme/b"))).toEqual(["acme/b:checks:2", "acme/b:regression:2", "acme/b:statuses:2", "acme/b:incident:2"]);
    expect(calls.filter((c) => c.startsWith("acme/c"))).toHaveLength(4);
    expect(calls.at(-1)).toBe("dataset:protection rules");
    expect(out.filter((o) => !o.ok).map((o) => `${o.target} ${o.step}`)).toEqual(["acme/a authenticate", "acme/b regression"]);
    expect(warnings.join("\n")).toMatch(/acme\/a.*suspended/);
    expect(warnings.join("\n")).toMatch(/acme\/b.*403/);
  });

  it("maps a published day to data_ok + breach/recovery, and a rejected one to audit_failed", () => {
    expect(alertEvents(event).map((e) => e.kind)).toEqual(["data_ok", expect.stringMatching(/^(breach|recovery)$/)]);
    const checks = [{ name: "not_null", table: "fct_website_events" as const, severity: "error" as const, status: "fail" as const, observed: 3, threshold: 0, message: "3 rows" }];
    expect(alertEvents({ kind: "rejected", dataset: "default", ds: "2026-03-10", result: { ds: "2026-03-10", dataset: "default", published: false, rows_read: 1, rows_loaded: 0, rows_rejected: 1, duplicates: 0, checks, rejects_sample: [] } })).toEqual([
      { kind: "audit_failed", dataset: "default", ds: "2026-03-10", checks },
    ]);
  });
});
