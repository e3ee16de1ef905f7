import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { Probot, ProbotOctokit, createNodeMiddleware } from "probot";
import { sign } from "@octokit/webhooks-methods";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { registerRoutes } from "../../src/http/routes.js";
import { startBackground } from "../../src/jobs/background.js";
import { serviceFor } from "../../src/jobs/service.js";
import type { AppDeps } from "../../src/app/deps.js";
import { INGEST, bearer, requireLib, listen, makeDeps, send, tempDir, until } from "../support/service.js";

const SECRET = "webhook-secret-for-tests";
const DS = "2026-03-10";

function testProbot(): Probot {
  return new Probot({
    githubToken: "test-token",
    secret: SECRET,
    logLevel: "fatal",
    Octokit: ProbotOctokit.defaults((o: any) => ({ ...o, retry: { enabled: false }, throttle: { ...(o.throttle ?? {}), enabled: false } })) as typeof ProbotOctokit,
  });
}

const lines = (text: string) => text.split("\n").filter((l) => l.trim()).length;

beforeAll(() => requireLib(), 120_000);

describe("restart recovery", () => {
  let dir: string;
  let deps: AppDeps;
  let srv: Awaited<ReturnType<typeof listen>>;
  let stop: () => void;

  afterAll(async () => {
    stop?.();
    await srv?.close();
    deps?.db.close();
  });

  it("a job left running by a crash becomes failed, keeps its upload, and a retry publishes it", async () => {
    dir = tempDir("recover");
    deps = makeDeps(dir);
    const [fx] = await generateFixtures({ outDir: join(dir, "fx"), days: 1, eventsPerDay: 1200, end: DS, seed: 7 });
    const text = readFileSync(fx!.path, "utf8");
    // The state a crash leaves behind: the upload on disk, its job marked running.
    const id = "11111111-2222-4333-8444-555555555555";
    mkdirSync(join(dir, "uploads"), { recursive: true });
    const file = join(dir, "uploads", `${id}.upload`);
    writeFileSync(file, text);
    deps.db
      .prepare(`INSERT INTO jobs (id, dataset, ds, state, file_path, bytes, attempts, created_at, started_at) VALUES (?, 'default', ?, 'running', ?, ?, 1, ?, ?)`)
      .run(id, DS, file, Buffer.byteLength(text), new Date().toISOString(), new Date().toISOString());

    const probot = testProbot();
    stop = startBackground(probot, deps);
    await serviceFor(probot, deps).recovered;
    srv = await listen(createNodeHandler(probot, deps));

    const after = (await send(srv.base, "GET", `/api/guardrail/jobs/${id}`, { headers: bearer(INGEST) })).json();
    expect(after.state).toBe("failed");
    expect(after.error).toMatch(/stopped while this job was running.*retry/i);

    const retry = await send(srv.base, "POST", `/api/guardrail/jobs/${id}/retry`, { headers: bearer(INGEST) });
    expect(retry.status).toBe(202);
    const done = await until(async () => {
      const j = (await send(srv.base, "GET", `/api/guardrail/jobs/${id}`, { headers: bearer(INGEST) })).json();
      return j.state === "published" || j.state === "failed" ? j : null;
    }, "retried job to finish");
    expect(done.state).toBe("published");
    expect(done.attempts).toBe(2);
    const n = deps.db.prepare(`SELECT COUNT(*) AS n FROM published_events WHERE ds = ?`).get(DS) as { n: number };
    expect(n.n).toBe(lines(text));
    await serviceFor(probot, deps).queue.idle();
  });
});

/** Probot's own webhook middleware plus our routes, the way `probot run` composes them. */
function createNodeHandler(probot: Probot, deps: AppDeps, onIssue?: () => void) {
  let ready: ReturnType<typeof createNodeMiddleware> | null = null;
  return async (req: IncomingMessage, res: ServerResponse) => {
    ready ??= createNodeMiddleware(
      (app, { addHandler }) => {
        app.on("issues.opened", async () => onIssue?.());
        registerRoutes(addHandler, app, deps);
      },
      { probot },
    );
    const handle = await ready;
    return handle(req, res);
  };
}

describe("webhooks during an ingest", () => {
  let deps: AppDeps;
  let srv: Awaited<ReturnType<typeof listen>>;

  afterAll(async () => {
    await srv?.close();
    deps?.db.close();
  });

  it("a webhook is answered while a large export is being ingested", async () => {
    const dir = tempDir("webhook");
    deps = makeDeps(dir);
    const [fx] = await generateFixtures({ outDir: join(dir, "fx"), days: 1, eventsPerDay: 60_000, end: DS, seed: 3 });
    const body = gzipSync(readFileSync(fx!.path));
    const probot = testProbot();
    let handled = 0;
    srv = await listen(createNodeHandler(probot, deps, () => handled++));

    const up = await send(srv.base, "POST", `/api/guardrail/exports?ds=${DS}`, { headers: bearer(INGEST), body });
    expect(up.status).toBe(202);
    const id = up.json().id;
    const state = () => (deps.db.prepare(`SELECT state FROM jobs WHERE id = ?`).get(id) as { state: string }).state;
    await until(() => state() === "running", "the ingest to start", 30_000);

    const payload = JSON.stringify({ action: "opened", issue: { number: 1, title: "t" }, repository: { name: "web", full_name: "acme/web", owner: { login: "acme" } }, installation: { id: 1 } });
    const t0 = Date.now();
    const hook = await send(srv.base, "POST", "/api/github/webhooks", {
      headers: {
        "content-type": "application/json",
        "x-github-event": "issues",
        "x-github-delivery": "delivery-1",
        "x-hub-signature-256": await sign(SECRET, payload),
      },
      body: payload,
    });
    const took = Date.now() - t0;
    const stillRunning = state() === "running";
    expect(hook.status).toBe(200);
    expect(handled).toBe(1);
    expect(took).toBeLessThan(10_000); // GitHub's limit; in practice a few ms
    expect(stillRunning).toBe(true); // answered during the ingest, not after it
    const job = await until(() => (["published", "rejected", "failed"].includes(state()) ? state() : null), "the ingest to finish", 60_000);
    expect(job).toBe("published");
    await serviceFor(probot, deps).queue.idle();
  });
});
