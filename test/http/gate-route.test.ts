import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { handleGateRoute } from "../../src/http/gate-route.js";
import { sendText } from "../../src/http/respond.js";
import { makeEnv, seedHistory, addRepo, addOverride, REPO, SHA, OTHER_SHA, DAY, NOW, READ_TOKEN, INGEST_TOKEN, type Env } from "../gate/helpers.js";
import type { AppDeps } from "../../src/app/deps.js";
import { runCli as cli } from "../support/run-cli.js";

/** A real server on 127.0.0.1 serving the gate for one store. */
async function serve(deps: AppDeps): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    handleGateRoute(req, res, deps, { now: NOW }).then((handled) => {
      if (!handled) sendText(res, 404, "not found");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

async function get(base: string, path: string, token?: string) {
  const res = await fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
}

const q = (repo: string, sha: string) => `/api/guardrail/gate?repo=${encodeURIComponent(repo)}&sha=${sha}`;

describe("HTTP gate and CLI on a failing day", () => {
  let env: Env;
  let srv: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    env = makeEnv();
    seedHistory(env.db, DAY, 200);
    addRepo(env.db);
    addOverride(env.db, OTHER_SHA, "octocat", "hotfix");
    srv = await serve(env.deps);
  });
  afterAll(async () => {
    await srv.close();
    env.cleanup();
  });

  it("answers 401 without, or with a wrong or the ingest token", async () => {
    expect((await get(srv.url, q(REPO, SHA))).status).toBe(401);
    expect((await get(srv.url, q(REPO, SHA), "wrong")).status).toBe(401);
    expect((await get(srv.url, q(REPO, SHA), INGEST_TOKEN)).status).toBe(401);
  });

  it("answers 400 for a malformed repo or sha, naming the parameter", async () => {
    const badRepo = await get(srv.url, q("../etc", SHA), READ_TOKEN);
    expect(badRepo.status).toBe(400);
    expect(String(badRepo.body!.error)).toContain('"repo"');
    const badSha = await get(srv.url, q(REPO, "abc123"), READ_TOKEN);
    expect(badSha.status).toBe(400);
    expect(String(badSha.body!.error)).toContain('"sha"');
  });

  it("answers blocked with the failing guardrail, and open for an overridden commit", async () => {
    const blocked = await get(srv.url, q(REPO, SHA), READ_TOKEN);
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({ state: "blocked", ds: DAY });
    expect((blocked.body!.reasons as string[])[0]).toContain("signup_conversion_rate");
    expect(String(blocked.body!.details_url)).toMatch(/^https:\/\/guardrail\.example\.com\/guardrail\?.*&sig=/);
    const overridden = await get(srv.url, q(REPO, OTHER_SHA), READ_TOKEN);
    expect(overridden.body).toMatchObject({ state: "open", exemption: "override" });
  });

  it("answers unknown for a repo it does not know", async () => {
    const r = await get(srv.url, q("nobody/nothing", SHA), READ_TOKEN);
    expect(r.status).toBe(200);
    expect(r.body!.state).toBe("unknown");
  });

  it("CLI: exit 1 when blocked (human and --json), 0 for the overridden commit", async () => {
    const human = await cli(["gate", "--url", srv.url, "--token", READ_TOKEN, "--repo", REPO, "--sha", SHA]);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^BLOCKED/);
    expect(human.stdout).toContain("signup_conversion_rate");
    const json = await cli(["gate", "--url", srv.url, "--token", READ_TOKEN, "--repo", REPO, "--sha", SHA, "--json"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).state).toBe("blocked");
    const open = await cli(["gate", "--url", srv.url, "--token", READ_TOKEN, "--repo", REPO, "--sha", OTHER_SHA]);
    expect(open.code).toBe(0);
  });

  it("CLI: unknown exits 2, or 1 with --fail-on-unknown", async () => {
    const args = ["gate", "--url", srv.url, "--token", READ_TOKEN, "--repo", "nobody/nothing", "--sha", SHA];
    expect((await cli(args)).code).toBe(2);
    expect((await cli([...args, "--fail-on-unknown"])).code).toBe(1);
  });

  it("CLI: a wrong token, an unreachable URL and a non-JSON answer each give one clear sentence and exit 3, never 2 (unknown)", async () => {
    const wrong = await cli(["gate", "--url", srv.url, "--token", "nope", "--repo", REPO, "--sha", SHA]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/^guardrail: .*HTTP 401.*\n$/);
    expect(wrong.stdout).toBe("");

    // A port that was just free: nothing listens there.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const down = await cli(["gate", "--url", `http://127.0.0.1:${port}`, "--token", READ_TOKEN, "--repo", REPO, "--sha", SHA]);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^guardrail: cannot reach the Guardrail gate at http:\/\/127\.0\.0\.1:\d+\/api\/guardrail\/gate \(ECONNREFUSED\)\.\n$/);

    const html = http.createServer((_q, s) => sendText(s, 200, "<html>hello</html>"));
    await new Promise<void>((r) => html.listen(0, "127.0.0.1", r));
    const other = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
    const notJson = await cli(["gate", "--url", other, "--token", READ_TOKEN, "--repo", REPO, "--sha", SHA]);
    await new Promise<void>((r) => html.close(() => r()));
    expect(notJson.code).toBe(3);
    expect(notJson.stderr).toContain("not JSON");

    const bad = await cli(["gate", "--url", srv.url, "--token", READ_TOKEN, "--repo", REPO, "--sha", "xyz"]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("--sha");

    // --fail-on-unknown makes unknown 1; it never turns an error into anything but 3.
    const wrongStrict = await cli(["gate", "--url", srv.url, "--token", "nope", "--repo", REPO, "--sha", SHA, "--fail-on-unknown"]);
    expect(wrongStrict.code).toBe(3);
  });

  it("CLI: a usage error of gate (an unknown flag) exits 3", async () => {
    const run = await cli(["gate", "--url", srv.url, "--token", READ_TOKEN, "--repo", REPO, "--sha", SHA, "--no-such-flag"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("unknown option '--no-such-flag'");
    const missing = await cli(["gate", "--url"]);
    expect(missing.code).toBe(3);
  });

  it("CLI: reads $GUARDRAIL_URL and $GUARDRAIL_READ_TOKEN", async () => {
    vi.stubEnv("GUARDRAIL_URL", srv.url);
    vi.stubEnv("GUARDRAIL_READ_TOKEN", READ_TOKEN);
    try {
      expect((await cli(["gate", "--repo", REPO, "--sha", SHA])).code).toBe(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("HTTP gate and CLI on a healthy day", () => {
  it("answers open and the CLI exits 0", async () => {
    const env = makeEnv();
    seedHistory(env.db, DAY, 402);
    addRepo(env.db);
    const srv = await serve(env.deps);
    try {
      const r = await get(srv.url, q(REPO, SHA), READ_TOKEN);
      expect(r.body).toMatchObject({ state: "open", ds: DAY });
      const run = await cli(["gate", "--url", srv.url + "/", "--token", READ_TOKEN, "--repo", REPO, "--sha", SHA]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^OPEN \(metrics of 2024-05-07\)/);
    } finally {
      await srv.close();
      env.cleanup();
    }
  });

  it("answers 401 to everyone when no read token is configured", async () => {
    const env = makeEnv({ readToken: undefined });
    const srv = await serve(env.deps);
    try {
      expect((await get(srv.url, q(REPO, SHA), "")).status).toBe(401);
      expect((await get(srv.url, q(REPO, SHA), "undefined")).status).toBe(401);
    } finally {
      await srv.close();
      env.cleanup();
    }
  });
});
