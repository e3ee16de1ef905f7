/**
 * `npm start` is `probot run ./lib/index.js`, whose request logger writes each
 * request's URL and, with LOG_FORMAT=json, its headers. Run the real command
 * in both formats and check that tokens, the token cookie and link signatures
 * never reach its output, while the request lines themselves do, and that
 * `/ping` answers on every entry point.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { redactSecrets } from "../../src/http/log-redaction.js";
import { guardrailHandler } from "../../src/http/routes.js";
import { listen, makeDeps, requireLib, send, tempDir, until } from "../support/service.js";

const ROOT = resolve(__dirname, "../..");
const READ = "read-token-SHOULD-NOT-BE-LOGGED";
const INGEST = "ingest-token-SHOULD-NOT-BE-LOGGED";
const SIG = "f00dfacef00dfacef00dfacef00dface";

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("redactSecrets", () => {
  it("masks credential headers, sig values, bearer tokens and the token cookie", () => {
    const line = JSON.stringify({
      msg: `GET /guardrail?dataset=a&exp=1&sig=${SIG} 200`,
      req: { url: `/guardrail?sig=${SIG}&ds=2026-03-10`, headers: { authorization: `Bearer ${READ}`, cookie: `a=1; guardrail_token=${READ}`, host: "x" } },
    });
    const out = redactSecrets(line);
    expect(out).not.toContain(READ);
    expect(out).not.toContain(SIG);
    expect(JSON.parse(out).req.headers).toEqual({ authorization: "[redacted]", cookie: "[redacted]", host: "x" });
    expect(JSON.parse(out).req.url).toBe("/guardrail?sig=[redacted]&ds=2026-03-10");
    expect(redactSecrets(`GET /x?sig=${SIG} Authorization: Bearer ${READ}`)).toBe("GET /x?sig=[redacted] Authorization: Bearer [redacted]");
  });
});

describe("npm start (probot run) request log", () => {
  let proc: ChildProcess | null = null;
  beforeAll(() => requireLib());
  afterEach(() => {
    if (proc && proc.exitCode === null) proc.kill("SIGKILL");
    proc = null;
  });

  for (const format of ["json", "pretty"] as const) {
    it(`never writes Authorization, cookies or sig (LOG_FORMAT=${format})`, async () => {
      const dir = tempDir(`log-${format}`);
      const port = await freePort();
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
      let out = "";
      proc = spawn(process.execPath, [join(ROOT, "node_modules/probot/bin/probot.js"), "run", "./lib/index.js"], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          APP_ID: "12345",
          PRIVATE_KEY: privateKey,
          WEBHOOK_SECRET: "webhook-secret",
          PORT: String(port),
          HOST: "127.0.0.1",
          LOG_LEVEL: "info",
          ...(format === "json" ? { LOG_FORMAT: "json" } : {}),
          GUARDRAIL_DB: join(dir, "guardrail.db"),
          GUARDRAIL_READ_TOKEN: READ,
          GUARDRAIL_INGEST_TOKEN: INGEST,
          GUARDRAIL_PUBLIC_URL: "https://guardrail.example.com",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      proc.stdout!.on("data", (d) => (out += String(d)));
      proc.stderr!.on("data", (d) => (out += String(d)));
      await until(() => /Listening on/.test(out), `probot run to listen (output so far: ${out})`, 60_000);
      const base = `http://127.0.0.1:${port}`;
      await send(base, "GET", `/guardrail?dataset=default&exp=4102444800&sig=${SIG}`);
      await send(base, "GET", "/api/guardrail/health", { headers: { authorization: `Bearer ${READ}` } });
      await send(base, "GET", "/guardrail", { headers: { cookie: `guardrail_token=${READ}` } });
      await send(base, "GET", "/api/guardrail/jobs/x", { headers: { authorization: `Bearer ${INGEST}` } });
      const ping = await send(base, "GET", "/ping");
      expect(ping.status).toBe(200);
      await until(() => out.includes("/ping"), "the request log line of /ping", 10_000);
      // The request lines are there, so the log was written, and no secret is in it.
      expect(out).toContain("/api/guardrail/health");
      expect(out).toContain("sig=[redacted]");
      expect(out).not.toContain(READ);
      expect(out).not.toContain(INGEST);
      expect(out).not.toContain(SIG);
      if (format === "json") expect(out).toContain('"authorization":"[redacted]"');
    }, 90_000);
  }
});

describe("/ping", () => {
  it("answers on the routes mounted on a plain server (npm run serve and tests mount them so)", async () => {
    const dir = tempDir("ping");
    const deps = makeDeps(dir);
    const srv = await listen(guardrailHandler(null, deps));
    try {
      const r = await send(srv.base, "GET", "/ping");
      expect(r.status).toBe(200);
      expect(r.body).toBe("PONG");
    } finally {
      await srv.close();
      deps.db.close();
    }
  });
});
