/**
 * Reconciliation: the repositories come from the API (every page), not only
 * from installation webhooks, so a service started on a new database, or one
 * that was down when the app was installed, still fans out to every
 * repository that watches the dataset; uninstalled repositories are forgotten.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Probot, ProbotOctokit } from "probot";
import nock from "nock";
import { recordRepo, reposForDataset, getRepo } from "../../src/store/repos.js";
import { startBackground } from "../../src/jobs/background.js";
import { serviceFor } from "../../src/jobs/service.js";
import { reconcileInstallations } from "../../src/jobs/reconcile.js";
import { makeDeps, tempDir } from "../support/service.js";

const API = "https://api.github.com";

function probot(): Probot {
  return new Probot({
    githubToken: "test-token",
    logLevel: "fatal",
    Octokit: ProbotOctokit.defaults((o: any) => ({ ...o, retry: { enabled: false }, throttle: { ...(o.throttle ?? {}), enabled: false } })) as typeof ProbotOctokit,
  });
}

const repo = (full_name: string) => ({ id: full_name.length, name: full_name.split("/")[1], full_name, owner: { login: full_name.split("/")[0] } });
const yaml = (dataset: string) => `dataset: ${dataset}\n`;
const quiet = { info: () => {}, warn: () => {} };

/** GitHub as it is now: two installations (the first listed over two pages), repos over two pages. */
function mockGitHub(): nock.Scope {
  const link = (next: string) => ({ link: `<${API}${next}>; rel="next"` });
  return nock(API)
    .get("/app/installations")
    .query({ per_page: 100 })
    .reply(200, [{ id: 11, account: { login: "acme" } }], link("/app/installations?per_page=100&page=2"))
    .get("/app/installations")
    .query({ per_page: 100, page: 2 })
    .reply(200, [{ id: 22, account: { login: "globex" } }])
    .get("/installation/repositories")
    .query({ per_page: 100 })
    .reply(200, { total_count: 2, repositories: [repo("acme/web")] }, link("/installation/repositories?per_page=100&page=2"))
    .get("/installation/repositories")
    .query({ per_page: 100, page: 2 })
    .reply(200, { total_count: 2, repositories: [repo("acme/shop")] })
    .get("/installation/repositories")
    .query({ per_page: 100 })
    .reply(200, { total_count: 1, repositories: [repo("globex/site")] })
    .get("/repos/acme/web/contents/.github%2Fguardrail.yml")
    .reply(200, yaml("default"), { "content-type": "text/plain" })
    .get("/repos/acme/shop/contents/.github%2Fguardrail.yml")
    .reply(200, yaml("shop"), { "content-type": "text/plain" })
    .get("/repos/globex/site/contents/.github%2Fguardrail.yml")
    .reply(200, yaml("default"), { "content-type": "text/plain" });
}

describe("reconciliation", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("adds repositories installed while the service was down and forgets uninstalled ones", async () => {
    const deps = makeDeps(tempDir("reconcile"));
    // What the store knew before going down: one repo since uninstalled, one still there.
    recordRepo(deps.db, { repo: "acme/old", installationId: 11, config: null });
    recordRepo(deps.db, { repo: "acme/web", installationId: 11, config: null });
    const gh = mockGitHub();
    const app = probot();
    const r = await reconcileInstallations((id) => app.auth(id) as any, deps, quiet);
    expect(gh.isDone()).toBe(true);
    expect(r).toMatchObject({ installations: 2, repos: ["acme/shop", "acme/web", "globex/site"], added: ["acme/shop", "globex/site"], removed: ["acme/old"], failed: [] });
    expect(getRepo(deps.db, "acme/old")).toBeNull();
    expect(reposForDataset(deps.db, "default").map((x) => x.repo)).toEqual(["acme/web", "globex/site"]);
    expect(reposForDataset(deps.db, "shop").map((x) => [x.repo, x.installationId])).toEqual([["acme/shop", 11]]);
    deps.db.close();
  });

  it("forgets nothing when an installation's list cannot be read", async () => {
    const deps = makeDeps(tempDir("reconcile-partial"));
    recordRepo(deps.db, { repo: "acme/web", installationId: 11, config: null });
    nock(API).get("/app/installations").query(true).reply(200, [{ id: 11 }]).get("/installation/repositories").query(true).reply(502, "bad gateway");
    const warnings: string[] = [];
    const app = probot();
    const r = await reconcileInstallations((id) => app.auth(id) as any, deps, { info: () => {}, warn: (m) => warnings.push(m) });
    expect(r.removed).toEqual([]);
    expect(getRepo(deps.db, "acme/web")).not.toBeNull();
    expect(warnings[0]).toMatch(/installation 11 failed: HTTP 502/);
    deps.db.close();
  });

  it("runs when the service starts, on a new database", async () => {
    const deps = makeDeps(tempDir("reconcile-start"));
    const gh = mockGitHub();
    const app = probot();
    const stop = startBackground(app, deps, { reconcile: true, targets: { repos: () => [], installationId: () => 0, label: () => "", repoSteps: [], datasetSteps: [] } });
    await serviceFor(app, deps).reconciled;
    expect(gh.isDone()).toBe(true);
    expect(reposForDataset(deps.db, "default").map((x) => x.repo)).toEqual(["acme/web", "globex/site"]);
    stop();
    deps.db.close();
  });
});
