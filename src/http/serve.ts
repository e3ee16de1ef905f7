/**
 * Production entry point: `node lib/http/serve.js` runs the same app as
 * `probot run ./lib/index.js`, on a Node HTTP server Guardrail creates itself.
 *
 * Why not Probot's own server: the app function cannot reach it (Probot keeps
 * it private), and two of its settings hurt this service —
 * - Node's default `requestTimeout` of 300 s: an export upload that takes
 *   longer (2 GB over a slow link) is cut off with 408. Here it is
 *   `GUARDRAIL_REQUEST_TIMEOUT_SECONDS` (default 3600; 0 = none — the upload
 *   route still cuts an upload that stops sending, after
 *   GUARDRAIL_UPLOAD_IDLE_SECONDS).
 * - its request logger writes every request's headers, including
 *   `Authorization: Bearer <token>` and the `guardrail_token` cookie, when
 *   LOG_FORMAT=json. Here a request is logged as method, path (a signed
 *   link's `sig` masked), status and time: never a header.
 * Configuration is Probot's (APP_ID, PRIVATE_KEY / PRIVATE_KEY_PATH,
 * WEBHOOK_SECRET, WEBHOOK_PATH, GHE_HOST, LOG_LEVEL, LOG_FORMAT, PORT, HOST)
 * plus Guardrail's variables (docs/service.md).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { redactSecrets } from "./log-redaction.js";
import { createNodeMiddleware, createProbot, type ApplicationFunction, type Probot } from "probot";

export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 3600;

export interface ServeOptions {
  port: number;
  host?: string;
  /** Whole-request limit (Node's `requestTimeout`); 0 turns it off. */
  requestTimeoutMs: number;
  /** Time to receive the request headers (Node's `headersTimeout`, default 60 s): the slow-loris guard. */
  headersTimeoutMs?: number;
  /** How often Node checks the two timeouts (tests shorten it). */
  connectionsCheckingIntervalMs?: number;
  probot?: Probot;
  appFn?: ApplicationFunction;
  log?: { info(msg: string): void; error(msg: string): void };
}

/** GUARDRAIL_REQUEST_TIMEOUT_SECONDS as milliseconds; one sentence when it is not a number of seconds. */
export function requestTimeoutFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.GUARDRAIL_REQUEST_TIMEOUT_SECONDS;
  if (raw === undefined || raw.trim() === "") return DEFAULT_REQUEST_TIMEOUT_SECONDS * 1000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`GUARDRAIL_REQUEST_TIMEOUT_SECONDS: expected a number of seconds (0 = no limit), got "${raw.slice(0, 40)}".`);
  return Math.round(n * 1000);
}

/** The request line as it may be logged: a signed link's signature is a credential, so it is masked. */
export function loggablePath(url: string | undefined): string {
  return redactSecrets(url ?? "/");
}

/** Starts the app on its own HTTP server; resolves once it listens. */
export async function serve(opts: ServeOptions): Promise<Server> {
  // Probot's own default level is warn, which would hide the request log; LOG_LEVEL still wins.
  const probot = opts.probot ?? createProbot({ env: { LOG_LEVEL: "info", ...process.env } });
  const appFn = opts.appFn ?? ((await import("../index.js")).default as ApplicationFunction);
  const handle = await createNodeMiddleware(appFn, { probot });
  const log = opts.log ?? { info: (m: string) => probot.log?.info(m), error: (m: string) => probot.log?.error(m) };
  const server = createServer(
    {
      requestTimeout: opts.requestTimeoutMs,
      // Node requires headersTimeout ≤ requestTimeout (unless the latter is off).
      headersTimeout: opts.requestTimeoutMs > 0 ? Math.min(opts.headersTimeoutMs ?? 60_000, opts.requestTimeoutMs) : (opts.headersTimeoutMs ?? 60_000),
      ...(opts.connectionsCheckingIntervalMs ? { connectionsCheckingInterval: opts.connectionsCheckingIntervalMs } : {}),
    },
    (req: IncomingMessage, res: ServerResponse) => {
      const started = Date.now();
      const line = `${req.method} ${loggablePath(req.url)}`;
      res.on("finish", () => log.info(`${line} ${res.statusCode} - ${Date.now() - started}ms`));
      Promise.resolve(
        handle(req, res, () => {
          if (res.headersSent) return;
          res.statusCode = 404;
          res.setHeader("content-type", "text/plain; charset=utf-8");
          res.end("Not found");
        }),
      ).catch((err: unknown) => {
        // No stack trace in the answer; the log says what went wrong.
        log.error(`${line}: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  log.info(`Guardrail listening on http://${opts.host ?? "localhost"}:${port} (request timeout ${opts.requestTimeoutMs ? `${opts.requestTimeoutMs / 1000} s` : "off"})`);
  return server;
}

function isMain(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    // argv[1] is not a file on disk (node -e, a REPL): this module was imported, not run.
    return false;
  }
}

if (isMain()) {
  (async () => {
    if (!process.env.APP_ID) {
      process.stderr.write("guardrail: APP_ID is not set: register the GitHub App first (npm start opens Probot's setup page), then start this server with APP_ID, PRIVATE_KEY and WEBHOOK_SECRET.\n");
      process.exit(2);
    }
    const server = await serve({
      port: Number(process.env.PORT) || 3000,
      host: process.env.HOST || undefined,
      requestTimeoutMs: requestTimeoutFromEnv(),
    });
    const stop = () => server.close(() => process.exit(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  })().catch((err: unknown) => {
    process.stderr.write(`guardrail: the server did not start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
}
