/**
 * The service's freshness timer: stale data opens the stale-data incident in
 * every repo of the dataset (nock, api.github.com only) and posts to the chat
 * webhook (a real HTTP server on 127.0.0.1); fresh data closes both.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startChatHook, type ChatHook } from "../support/chat-hook.js";
import { join } from "node:path";
import { rmSync } from "node:fs";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { parseConfig } from "../../src/config/load.js";
import { recordRepo } from "../../src/store/repos.js";
import { DEFAULT_REPO_CONFIG } from "../../src/config/repo-schema.js";
import { startBackground } from "../../src/jobs/background.js";
import { checkStaleness } from "../../src/jobs/freshness.js";
import type { InstallationOctokit } from "../../src/jobs/fan-out.js";
import { addDays, epochMsToDs } from "../../src/shared/dates.js";
import { flushNotifications } from "../../src/alerts/index.js";
import type { AppDeps } from "../../src/app/deps.js";
import { makeDeps, tempDir, until } from "../support/service.js";

const API = "https://api.github.com";
const TODAY = epochMsToDs(Date.now());
const OLD_DAY = addDays(TODAY, -5);

function publish(deps: AppDeps, ds: string): void {
  const now = new Date().toISOString();
  deps.db.prepare(`INSERT INTO partitions (dataset, ds, kind, status, ingested_at, published_at) VALUES ('default', ?, 'raw', 'published', ?, ?)`).run(ds, now, now);
}

function installationOctokit(): InstallationOctokit {
  return new ProbotOctokit({ auth: { token: "ghs_test" }, retry: { enabled: false }, throttle: { enabled: false } }) as unknown as InstallationOctokit;
}

describe("freshness timer", () => {
  let dir: string;
  let deps: AppDeps;
  let chat: ChatHook;
  let messages: any[];
  let stop: (() => void) | undefined;
  const logs: string[] = [];
  const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };

  beforeEach(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1");
    chat = await startChatHook();
    messages = chat.messages;
    const url = chat.url;
    dir = tempDir("freshness");
    deps = makeDeps(dir, { config: parseConfig({ notify_url: url }) });
    recordRepo(deps.db, { repo: "acme/web", installationId: 1, config: DEFAULT_REPO_CONFIG });
    recordRepo(deps.db, { repo: "acme/api", installationId: 2, config: { ...DEFAULT_REPO_CONFIG, alerts: { issue: true } } });
    publish(deps, OLD_DAY);
  });

  afterEach(async () => {
    stop?.();
    nock.cleanAll();
    nock.enableNetConnect();
    await flushNotifications();
    await chat.close();
    deps.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("opens the stale-data incident in every repo and the chat on its own, and closes them when data arrives", async () => {
    const created: any[] = [];
    const scope = nock(API);
    for (const [repo, number] of [["acme/api", 7], ["acme/web", 9]] as const)
      scope
        .get(`/repos/${repo}/issues`).query({ state: "open", labels: "guardrail-alert", per_page: "100" }).reply(200, [])
        .post(`/repos/${repo}/labels`).reply(201, { name: "guardrail-alert" })
        .post(`/repos/${repo}/issues`, (b) => (created.push({ repo, ...b }), true)).reply(201, { number });

    const probot = new Probot({ githubToken: "unused", logLevel: "fatal" });
    const installations: number[] = [];
    stop = startBackground(probot, deps, {
      freshnessFirstDelayMs: 1,
      freshnessIntervalMs: 3_600_000,
      auth: async (id) => (installations.push(id), installationOctokit()),
    });
    await until(() => scope.isDone() && messages.length >= 1, "the timer to open the stale incidents", 10_000);
    expect(scope.isDone()).toBe(true);
    expect(installations.sort()).toEqual([1, 2]); // each repo with its own installation

    // Age counts from the end of the newest published day; derived here from the clock alone.
    const hours = (Date.now() - Date.parse(`${addDays(OLD_DAY, 1)}T00:00:00Z`)) / 3_600_000;
    expect(hours).toBeGreaterThan(48);
    expect(created.map((c) => c.repo)).toEqual(["acme/api", "acme/web"]);
    for (const issue of created) {
      expect(issue.title).toMatch(new RegExp(`^Guardrail data problem: dataset default is stale \\(latest ${OLD_DAY}, \\d+ h old\\)$`));
      expect(issue.labels).toEqual(["guardrail-alert"]);
      expect(issue.body).toContain("<!-- guardrail-incident: dataset=default kind=stale -->");
    }
    expect(messages).toHaveLength(1); // one chat message per dataset, however many repos
    expect(messages[0].text).toContain("stale");
    expect(messages[0].text).toContain(OLD_DAY);

    // Fresh data: the next pass comments and closes each issue, and the chat hears once that it is resolved.
    publish(deps, addDays(TODAY, -1));
    const closed: string[] = [];
    const fix = nock(API);
    for (const [repo, number] of [["acme/api", 7], ["acme/web", 9]] as const)
      fix
        .post(`/repos/${repo}/issues/${number}/comments`).reply(201, { id: number })
        .patch(`/repos/${repo}/issues/${number}`, (b) => (closed.push(`${repo}#${number}:${b.state}`), true)).reply(200, {});
    const out = await checkStaleness(deps, async () => installationOctokit(), log);
    await flushNotifications();
    expect(fix.isDone()).toBe(true);
    expect(closed).toEqual(["acme/api#7:closed", "acme/web#9:closed"]);
    expect(out).toEqual([{ dataset: "default", event: "data_ok", failed: [] }]);
    expect(messages).toHaveLength(2);
    expect(messages[1].text).not.toBe(messages[0].text);
    expect(logs.join("\n")).not.toContain("secret-hook");
  });

  it("one repo's GitHub error is logged and the other repo still gets its incident", async () => {
    const scope = nock(API)
      .get(`/repos/acme/api/issues`).query(true).reply(403, { message: "Resource not accessible by integration" })
      .get(`/repos/acme/web/issues`).query(true).reply(200, [])
      .post(`/repos/acme/web/labels`).reply(201, {})
      .post(`/repos/acme/web/issues`).reply(201, { number: 3 });
    const out = await checkStaleness(deps, async () => installationOctokit(), log);
    expect(scope.isDone()).toBe(true);
    expect(out).toEqual([{ dataset: "default", event: "stale", failed: ["acme/api"] }]);
    expect(logs.join("\n")).toMatch(/stale incident of dataset default in acme\/api failed/);
  });
});
