import { describe, expect, it } from "vitest";
import { afterJob } from "../../src/jobs/service.js";
import type { FanOutTargets, InstallationOctokit } from "../../src/jobs/fan-out.js";
import type { JobRow } from "../../src/store/jobs.js";
import { makeDeps, tempDir } from "../support/service.js";
import { startChatHook } from "../support/chat-hook.js";
import { defaultTargets } from "../../src/jobs/targets.js";
import { flushNotifications } from "../../src/alerts/index.js";
import { parseConfig } from "../../src/config/load.js";
import { addDays, epochMsToDs } from "../../src/shared/dates.js";
import { normalDay, publishDay, smallConfigInput } from "../evaluate/helpers.js";

function publish(deps: ReturnType<typeof makeDeps>, ds: string): void {
  deps.db
    .prepare(`INSERT INTO partitions (dataset, ds, kind, status, ingested_at, published_at) VALUES ('default', ?, 'raw', 'published', ?, ?)`)
    .run(ds, new Date().toISOString(), new Date().toISOString());
}

function job(ds: string): JobRow {
  return { id: `job-${ds}`, dataset: "default", ds, kind: "raw", state: "published", file_path: null, bytes: 1, attempts: 1, created_at: "", started_at: null, finished_at: null, result_json: null, error: null };
}

function recordingTargets(calls: string[]): FanOutTargets<unknown> {
  return {
    repos: () => ["acme/web"],
    installationId: () => 1,
    label: () => "acme/web",
    repoSteps: [{ name: "checks", run: async (_o, _r, event) => void calls.push(`checks ${event.ds}`) }],
    datasetSteps: [{ name: "chat", github: false, run: async (_o, event) => void calls.push(`chat ${event.ds}`) }],
  };
}

const auth = async () => ({}) as unknown as InstallationOctokit;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

describe("after a job", () => {
  it("a backfilled day older than the newest published one is evaluated and stored, but GitHub and chat hear nothing", async () => {
    const deps = makeDeps(tempDir("after-job"));
    publish(deps, "2026-03-10");
    publish(deps, "2026-03-03");
    const calls: string[] = [];
    await afterJob(deps, recordingTargets(calls), auth, job("2026-03-03"), { state: "published", result: null, error: null }, quiet);
    expect(calls).toEqual([]);
    const stored = deps.db.prepare(`SELECT ds FROM evaluations WHERE dataset = 'default'`).all() as { ds: string }[];
    expect(stored.map((r) => r.ds)).toEqual(["2026-03-03"]);

    await afterJob(deps, recordingTargets(calls), auth, job("2026-03-10"), { state: "published", result: null, error: null }, quiet);
    expect(calls).toEqual(["checks 2026-03-10", "chat 2026-03-10"]);
  });

  it("without a GitHub App a breach on the newest day reaches the chat webhook (real HTTP, real targets)", async () => {
    const hook = await startChatHook();
    const { url, messages: bodies } = hook;
    try {
      const deps = makeDeps(tempDir("after-job-chat"), { config: parseConfig(smallConfigInput({ notify_url: url })) });
      const day = epochMsToDs(Date.now() - 86_400_000); // yesterday: fresh
      for (let w = 1; w <= 4; w++) publishDay(deps.db, addDays(day, -7 * w), normalDay());
      publishDay(deps.db, day, normalDay(10_000, 0.02)); // signup conversion halved
      await afterJob(deps, defaultTargets(deps), null, job(day), { state: "published", result: null, error: null }, quiet);
      await flushNotifications();
      expect(bodies).toHaveLength(1);
      expect(JSON.stringify(bodies[0])).toContain("signup_conversion_rate");
      expect(JSON.stringify(bodies[0])).toContain(day);
    } finally {
      await hook.close();
    }
  });

  it("without a GitHub App the newest day still reaches the chat", async () => {
    const deps = makeDeps(tempDir("after-job-no-app"));
    publish(deps, "2026-03-10");
    const calls: string[] = [];
    await afterJob(deps, recordingTargets(calls), null, job("2026-03-10"), { state: "published", result: null, error: null }, quiet);
    expect(calls).toEqual(["chat 2026-03-10"]);
  });
});
