/**
 * `node lib/http/serve.js`: the app on Guardrail's own HTTP server, because
 * Probot's cannot be configured from the app. Its request timeout is ours to
 * set (an upload longer than Node's 300 s default must not be cut), and its
 * request log never holds a token, a cookie or a link signature.
 */
import { afterEach, describe, expect, it } from "vitest";
import { request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { rmSync } from "node:fs";
import { Probot } from "probot";
import { sign } from "@octokit/webhooks-methods";
import { serve, loggablePath, requestTimeoutFromEnv, DEFAULT_REQUEST_TIMEOUT_SECONDS } from "../../src/http/serve.js";
import { registerRoutes } from "../../src/http/routes.js";
import { signLink } from "../../src/shared/links.js";
import type { AppDeps } from "../../src/app/deps.js";
import { INGEST, READ, bearer, makeDeps, send, tempDir } from "../support/service.js";

const SECRET = "webhook-secret-for-serve";

interface Started {
  server: Server;
  base: string;
  deps: AppDeps;
  dir: string;
  logs: string[];
  webhooks: string[];
}

const running: Started[] = [];

afterEach(async () => {
  for (const s of running.splice(0)) {
    s.server.closeAllConnections();
    await new Promise<void>((r) => s.server.close(() => r()));
    s.deps.db.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
});

async function start(requestTimeoutMs: number): Promise<Started> {
  const dir = tempDir("serve");
  const deps = makeDeps(dir);
  const logs: string[] = [];
  const webhooks: string[] = [];
  const probot = new Probot({ githubToken: "unused", secret: SECRET, logLevel: "fatal" });
  const server = await serve({
    port: 0,
    host: "127.0.0.1",
    requestTimeoutMs,
    connectionsCheckingIntervalMs: 100,
    probot,
    log: { info: (m) => logs.push(m), error: (m) => logs.push(m) },
    appFn: (app, { addHandler }) => {
      app.on("issues.opened", async () => void webhooks.push("issues.opened"));
      // The ingest itself is not under test here: a job just fails at once.
      registerRoutes(addHandler!, app, deps, { uploadIdleMs: 5000, runIngest: async () => ({ state: "failed", result: null, error: "not under test" }) });
    },
  });
  const s = { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, deps, dir, logs, webhooks };
  running.push(s);
  return s;
}

/** An upload whose body trickles in over `ms`, a chunk every 200 ms; resolves with the status, or the error if the server cut it. */
function trickle(base: string, ms: number): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = request(`${base}/api/guardrail/exports?ds=2026-03-10`, { method: "POST", headers: { ...bearer(INGEST), "transfer-encoding": "chunked" } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode }));
    });
    req.on("error", (err) => resolve({ error: err.message }));
    const until = Date.now() + ms;
    const tick = () => {
      if (req.destroyed) return;
      if (Date.now() >= until) return void req.end('{"x":1}\n');
      req.write('{"x":1}\n');
      setTimeout(tick, 200);
    };
    tick();
  });
}

describe("serve: Guardrail's own HTTP server", () => {
  it("applies the configured request timeout: a 2 s upload is cut at 1 s, and passes when the limit is off", async () => {
    const strict = await start(1000);
    const cut = await trickle(strict.base, 2000);
    expect(cut.status === 408 || cut.error !== undefined).toBe(true);
    expect(cut.status).not.toBe(202);

    const relaxed = await start(0);
    const whole = await trickle(relaxed.base, 2000);
    expect(whole.status).toBe(202);
  });

  it("serves webhooks and the routes, and its log holds no token, cookie or link signature", async () => {
    const s = await start(10_000);
    const payload = JSON.stringify({ action: "opened", issue: { number: 1 }, repository: { name: "web", full_name: "acme/web", owner: { login: "acme" } }, installation: { id: 1 } });
    const hook = await send(s.base, "POST", "/api/github/webhooks", {
      headers: { "content-type": "application/json", "x-github-event": "issues", "x-github-delivery": "d-1", "x-hub-signature-256": await sign(SECRET, payload) },
      body: payload,
    });
    expect(hook.status).toBe(200);
    expect(s.webhooks).toEqual(["issues.opened"]);

    const health = await send(s.base, "GET", "/api/guardrail/health", { headers: bearer(READ) });
    expect(health.status).toBe(200);
    expect(health.json().database.reachable).toBe(true);
    const cookie = await send(s.base, "GET", "/guardrail", { headers: { cookie: `guardrail_token=${READ}` } });
    expect(cookie.status).toBe(200);
    const link = signLink({ publicUrl: "", linkSecret: s.deps.linkSecret }, "/guardrail?dataset=default");
    const signed = await send(s.base, "GET", link);
    expect(signed.status).toBe(200);
    const sig = new URL(link, "http://x").searchParams.get("sig")!;
    expect((await send(s.base, "GET", "/nowhere")).status).toBe(404);

    const text = s.logs.join("\n");
    expect(text).toContain("GET /api/guardrail/health 200");
    expect(text).toContain("sig=[redacted]");
    for (const secret of [READ, INGEST, sig, SECRET]) expect(text).not.toContain(secret);
  });

  it("reads GUARDRAIL_REQUEST_TIMEOUT_SECONDS, and masks signatures in logged paths", () => {
    expect(requestTimeoutFromEnv({})).toBe(DEFAULT_REQUEST_TIMEOUT_SECONDS * 1000);
    expect(requestTimeoutFromEnv({ GUARDRAIL_REQUEST_TIMEOUT_SECONDS: "0" })).toBe(0);
    expect(requestTimeoutFromEnv({ GUARDRAIL_REQUEST_TIMEOUT_SECONDS: "7200" })).toBe(7_200_000);
    expect(() => requestTimeoutFromEnv({ GUARDRAIL_REQUEST_TIMEOUT_SECONDS: "an hour" })).toThrow(/^GUARDRAIL_REQUEST_TIMEOUT_SECONDS: expected a number of seconds/);
    expect(loggablePath("/guardrail?dataset=d&exp=1&sig=abcdef")).toBe("/guardrail?dataset=d&exp=1&sig=[redacted]");
    expect(loggablePath("/guardrail?sig=abc&ds=2026-01-01")).toBe("/guardrail?sig=[redacted]&ds=2026-01-01");
  });
});
