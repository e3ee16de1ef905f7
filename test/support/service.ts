/** Shared set-up of the service tests: a temp store, real HTTP on 127.0.0.1, raw requests. */
import { mkdtempSync, readdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { openDb } from "../../src/store/db.js";
import { parseConfig } from "../../src/config/load.js";
import type { AppDeps } from "../../src/app/deps.js";
import { serviceFor } from "../../src/jobs/service.js";
import { guardrailHandler } from "../../src/http/routes.js";

export const INGEST = "ingest-token-for-tests";
export const READ = "read-token-for-tests";

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `guardrail-${label}-`));
}

export function makeDeps(dir: string, overrides: Partial<AppDeps> = {}): AppDeps {
  return {
    db: openDb(join(dir, "guardrail.db")),
    config: parseConfig({}),
    publicUrl: "https://guardrail.example.com",
    linkSecret: "link-secret-for-tests",
    ingestToken: INGEST,
    readToken: READ,
    ...overrides,
  };
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean | void> | boolean | void;

export async function listen(handler: Handler): Promise<{ server: Server; base: string; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).then(
      (handled) => {
        if (!handled && !res.headersSent) {
          res.statusCode = 404;
          res.end("not found");
        }
      },
      (err) => {
        res.statusCode = 500;
        res.end(String(err));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = any>(): T;
}

/** One request with node:http (fetch hides the streaming details these tests are about). */
export function send(
  base: string,
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Polls `cond` until it returns a truthy value or the deadline passes. */
export async function until<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function uploadsLeft(dir: string): string[] {
  const up = join(dir, "uploads");
  return existsSync(up) ? readdirSync(up).filter((f) => f.endsWith(".part") || f.endsWith(".upload")) : [];
}

/** The ingest child runs the compiled CLI, which test/support/global-setup.ts compiled for the whole run. */
export function requireLib(): void {
  if (!existsSync("lib/cli/index.js")) throw new Error("lib/cli/index.js is missing: the test run's global setup compiles it");
}

export interface TestService {
  dir: string;
  deps: AppDeps;
  srv: Awaited<ReturnType<typeof listen>>;
  /** Waits for queued jobs, then stops the server and closes the store. */
  close(): Promise<void>;
}

/** The service without a GitHub App (uploads, jobs, health, metrics) on 127.0.0.1, over a fresh temp store; the compiled CLI runs its ingests. */
export async function startTestService(
  label: string,
  limits: { maxUploadBytes: number; uploadIdleMs: number } = { maxUploadBytes: 8 * 1024 * 1024, uploadIdleMs: 5000 },
  overrides: Partial<AppDeps> = {},
): Promise<TestService> {
  requireLib();
  const dir = tempDir(label);
  const deps = makeDeps(dir, overrides);
  serviceFor(null, deps, limits);
  const srv = await listen(guardrailHandler(null, deps));
  return {
    dir,
    deps,
    srv,
    async close() {
      await serviceFor(null, deps).queue.idle();
      await srv.close();
      deps.db.close();
    },
  };
}
