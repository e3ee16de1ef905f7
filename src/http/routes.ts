/**
 * Every HTTP route of docs/service.md, composed into one Probot handler. Each route
 * handler returns false when the request is not for it, so the order only
 * matters for speed; unknown paths fall through to Probot's 404.
 */
import type { ApplicationFunctionOptions, Probot } from "probot";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppDeps } from "../app/deps.js";
import { serviceFor, type ServiceOptions } from "../jobs/service.js";
import { handleExports } from "./exports-route.js";
import { handleJobs } from "./jobs-route.js";
import { handleHealth } from "./health-route.js";
import { handleMetrics } from "./metrics-route.js";
import { handleDashboard } from "./dashboard-route.js";
import { handleGateRoute } from "./gate-route.js";
import { sendJson } from "./respond.js";
import { describeError } from "../shared/errors.js";

export type AddHandler = ApplicationFunctionOptions["addHandler"];

/** The composed handler; exported so tests can mount it on a plain http server. */
export function guardrailHandler(app: Probot | null, deps: AppDeps, overrides: Partial<ServiceOptions> = {}) {
  const service = serviceFor(app, deps, overrides);
  const octokitFor = service.auth ?? undefined;
  const log = service.log;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    try {
      if (isPing(req)) {
        // Every entry point answers the health probe (Probot's own server does too; `npm run serve` and plain mounts need this).
        res.writeHead(200, { "content-type": "text/plain" }).end(req.method === "HEAD" ? undefined : "PONG");
        return true;
      }
      return (
        (await handleExports(req, res, deps, service)) ||
        (await handleJobs(req, res, deps, service)) ||
        (await handleHealth(req, res, deps)) ||
        (await handleMetrics(req, res, deps)) ||
        (await handleDashboard(req, res, deps, Date.now(), log)) ||
        (await handleGateRoute(req, res, deps, { octokitFor, log }))
      );
    } catch (err) {
      // The details go to the log; the answer never carries a stack trace or a server path.
      log.error(`guardrail ${req.method} ${(req.url ?? "").split("?")[0]} failed: ${describeError(err)}`);
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: "Internal error: the request could not be completed; the service log has the details." });
      else res.destroy();
      return true;
    }
  };
}

function isPing(req: IncomingMessage): boolean {
  return (req.method === "GET" || req.method === "HEAD") && (req.url ?? "").split("?")[0] === "/ping";
}

/** Every HTTP route of docs/service.md. */
export function registerRoutes(addHandler: AddHandler, app: Probot, deps: AppDeps, overrides: Partial<ServiceOptions> = {}): void {
  addHandler(guardrailHandler(app, deps, overrides));
}
