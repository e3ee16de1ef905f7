/** `push` refreshes the cached `.github/guardrail.yml` when the default branch changes it (src/app/push.ts). */
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { createRequire } from "node:module";
import { harness, deliver, mockRepoConfig, nock, API, REPO, INSTALLATION, type Harness } from "./helpers.js";
import { recordRepo } from "../../src/index.js";
import { DEFAULT_REPO_CONFIG } from "../../src/config/repo-schema.js";
import { pushChangesRepoConfig, reposToRefresh } from "../../src/app/push.js";

const require = createRequire(import.meta.url);
const EXAMPLES = require("@octokit/webhooks-examples") as { name: string; examples: Record<string, any>[] }[];

/** GitHub's example push, moved onto acme/shop with the given ref and changed files. */
function pushPayload(ref: string, files: { added?: string[]; modified?: string[]; removed?: string[] }, extra: Record<string, unknown> = {}, repo = REPO) {
  const p = structuredClone(EXAMPLES.find((e) => e.name === "push")!.examples.find((x) => x.ref?.startsWith("refs/heads/"))!);
  p.ref = ref;
  p.repository = { ...p.repository, full_name: repo, name: repo.split("/")[1], owner: { ...p.repository.owner, login: "acme", name: "acme" }, default_branch: "main" };
  p.installation = { id: INSTALLATION, node_id: "x" };
  const commit = { ...(p.head_commit ?? {}), added: files.added ?? [], modified: files.modified ?? [], removed: files.removed ?? [] };
  p.commits = [commit];
  p.head_commit = commit;
  p.deleted = false;
  p.forced = false;
  delete p.organization;
  return { ...p, ...extra };
}

function stored(h: Harness): { dataset: string; config_error: string | null } {
  return h.db.prepare(`SELECT dataset, config_error FROM repos WHERE repo = ?`).get(REPO) as { dataset: string; config_error: string | null };
}

describe("push: the repo config follows the default branch", () => {
  let h: Harness;
  beforeEach(async () => {
    nock.disableNetConnect();
    h = await harness(null);
    recordRepo(h.db, { repo: REPO, installationId: INSTALLATION, config: { ...DEFAULT_REPO_CONFIG, on_missing_data: "neutral", alerts: { issue: true } } });
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
    h.cleanup();
  });

  it("a push to the default branch that changes .github/guardrail.yml reloads it", async () => {
    const scope = mockRepoConfig("dataset: shop\non_missing_data: failure\n");
    await deliver(h.probot, "push", pushPayload("refs/heads/main", { modified: [".github/guardrail.yml", "src/app.js"] }));
    expect(scope.isDone()).toBe(true);
    expect(stored(h)).toEqual({ dataset: "shop", config_error: null });
  });

  it("a file that breaks the schema is cached as the check run's one-sentence error", async () => {
    mockRepoConfig("dataset: shop\non_missing_data: maybe\n");
    await deliver(h.probot, "push", pushPayload("refs/heads/main", { added: [".github/guardrail.yml"] }));
    expect(stored(h).config_error).toMatch(/^\.github\/guardrail\.yml: field on_missing_data: /);
    expect(h.logs.some((l) => l.level === "warn" && l.msg.includes("field on_missing_data"))).toBe(true);
  });

  it("removing the file goes back to the defaults", async () => {
    recordRepo(h.db, { repo: REPO, installationId: INSTALLATION, config: { ...DEFAULT_REPO_CONFIG, dataset: "shop", on_missing_data: "neutral", alerts: { issue: true } } });
    mockRepoConfig(null);
    await deliver(h.probot, "push", pushPayload("refs/heads/main", { removed: [".github/guardrail.yml"] }));
    expect(stored(h)).toEqual({ dataset: "default", config_error: null });
  });

  it("pushes to other branches, tags, or without the file read nothing (nock would refuse the request)", async () => {
    await deliver(h.probot, "push", pushPayload("refs/heads/feature", { modified: [".github/guardrail.yml"] }));
    await deliver(h.probot, "push", pushPayload("refs/tags/v1", { modified: [".github/guardrail.yml"] }));
    await deliver(h.probot, "push", pushPayload("refs/heads/main", { modified: ["README.md"] }));
    expect(h.logs.filter((l) => l.level === "error")).toEqual([]);
    expect(stored(h).dataset).toBe("default");
  });

  it("a GitHub error is logged with the repo, and the cached config stays", async () => {
    nock(API).get(`/repos/${REPO}/contents/.github%2Fguardrail.yml`).reply(500, { message: "Server Error" });
    await deliver(h.probot, "push", pushPayload("refs/heads/main", { modified: [".github/guardrail.yml"] }));
    const err = h.logs.find((l) => l.level === "error");
    expect(err?.msg).toContain("reloading the repo config after a push failed (GitHub answered 500)");
    expect(err?.obj.repo).toBe(REPO);
    expect(stored(h)).toEqual({ dataset: "default", config_error: null });
  });

  it("a push to the owner's .github repository reloads every repository of that owner (its fallback file)", async () => {
    const CFG = { ...DEFAULT_REPO_CONFIG, on_missing_data: "neutral" as const, alerts: { issue: true } };
    recordRepo(h.db, { repo: "acme/.github", installationId: INSTALLATION, config: CFG });
    recordRepo(h.db, { repo: "other/web", installationId: 99, config: CFG });
    const scope = nock(API)
      .get(`/repos/acme/.github/contents/.github%2Fguardrail.yml`)
      .times(2)
      .reply(200, "dataset: org-wide\n", { "content-type": "text/plain; charset=utf-8" })
      .get(`/repos/${REPO}/contents/.github%2Fguardrail.yml`)
      .reply(404, { message: "Not Found" });
    await deliver(h.probot, "push", pushPayload("refs/heads/main", { modified: [".github/guardrail.yml"] }, {}, "acme/.github"));
    expect(scope.isDone()).toBe(true);
    expect(stored(h).dataset).toBe("org-wide");
    const other = h.db.prepare(`SELECT dataset FROM repos WHERE repo = 'other/web'`).get() as { dataset: string };
    expect(other.dataset).toBe("default");
  });

  it("app.yml subscribes to push", async () => {
    const { readFileSync } = await import("node:fs");
    const { parse } = await import("yaml");
    expect(parse(readFileSync("app.yml", "utf8")).default_events).toContain("push");
  });
});

describe("pushChangesRepoConfig", () => {
  const base = { ref: "refs/heads/main", repository: { default_branch: "main" } };
  it("reads the commits' file lists, and reloads when the payload cannot tell", () => {
    expect(pushChangesRepoConfig({ ...base, commits: [{ modified: ["a"] }, { added: [".github/guardrail.yml"] }] })).toBe(true);
    expect(pushChangesRepoConfig({ ...base, commits: [{ modified: ["a"] }] })).toBe(false);
    expect(pushChangesRepoConfig({ ...base, commits: [{ modified: ["a"] }], forced: true })).toBe(true);
    expect(pushChangesRepoConfig({ ...base, commits: [] })).toBe(true);
    expect(pushChangesRepoConfig({ ...base, commits: Array.from({ length: 2048 }, () => ({ modified: ["a"] })) })).toBe(true);
    expect(pushChangesRepoConfig({ ...base, deleted: true, commits: [] })).toBe(false);
    expect(pushChangesRepoConfig({ ...base, ref: "refs/heads/dev", commits: [] })).toBe(false);
  });
});

describe("reposToRefresh", () => {
  it("is the pushed repository, plus the owner's other repositories when it is the owner's .github", () => {
    expect(reposToRefresh("acme/shop", ["acme/web"])).toEqual(["acme/shop"]);
    expect(reposToRefresh("acme/.github", ["acme/.github", "acme/shop", "Acme/web", "acmeX/web"])).toEqual(["acme/.github", "acme/shop", "Acme/web"]);
  });
});
