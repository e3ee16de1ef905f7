/**
 * `GET /metrics`: Prometheus text (docs/operations.md#metrics). Behind the
 * READ token (bearer or cookie; a signed dashboard link does not open it), or,
 * with GUARDRAIL_METRICS_PORT, on a separate port without a token, meant for
 * a scraper on the internal network only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AppDeps } from "../app/deps.js";
import { authorize } from "./auth.js";
import { matchRoute, sendJson } from "./respond.js";
import { datasetHealth } from "./health-route.js";
import { lastPublishedAge, registry } from "../shared/telemetry.js";

async function sendMetrics(res: ServerResponse, deps: AppDeps): Promise<void> {
  // Ages are read from the store at scrape time, so they grow while nothing arrives.
  lastPublishedAge.reset();
  for (const d of datasetHealth(deps.db, deps.config, new Date())) if (d.age_hours !== null) lastPublishedAge.set({ dataset: d.dataset }, d.age_hours);
  const body = await registry.metrics();
  res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" }).end(body);
}

export async function handleMetrics(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<boolean> {
  if (!matchRoute(req, "GET", "/metrics")) return false;
  if (!authorize(req, { ...deps, linkSecret: "" }, "read")) {
    res.setHeader("www-authenticate", 'Bearer realm="guardrail"');
    sendJson(res, 401, { error: "GET /metrics needs the read token (Authorization: Bearer), or set GUARDRAIL_METRICS_PORT to serve it on a separate port." });
    return true;
  }
  await sendMetrics(res, deps);
  return true;
}

/** The separate metrics port (GUARDRAIL_METRICS_PORT, host GUARDRAIL_METRICS_HOST): /metrics only, no token. */
export async function startMetricsServer(deps: AppDeps, port: number, host?: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (!matchRoute(req, "GET", "/metrics")) return void res.writeHead(404).end();
    sendMetrics(res, deps).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** Starts the separate metrics port when GUARDRAIL_METRICS_PORT is set; returns its stop function. */
export function metricsPortFromEnv(deps: AppDeps, log: { info(m: string): void; error(m: string): void }, env: NodeJS.ProcessEnv = process.env): () => void {
  const port = Number(env.GUARDRAIL_METRICS_PORT);
  if (!env.GUARDRAIL_METRICS_PORT || !Number.isInteger(port) || port <= 0) return () => {};
  let server: Server | null = null;
  let stopped = false;
  startMetricsServer(deps, port, env.GUARDRAIL_METRICS_HOST || undefined).then(
    (s) => {
      server = s;
      if (stopped) s.close();
      else log.info(`guardrail: metrics on port ${port} (/metrics, no token)`);
    },
    (err: Error) => log.error(`guardrail: the metrics port ${port} could not be opened (${err.message})`),
  );
  return () => {
    stopped = true;
    server?.close();
  };
}
