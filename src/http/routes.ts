/**
 * Every HTTP route of DESIGN §9, composed into one Probot handler. Each route
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
import { handleDashboard } from "./dashboard-route.js";
import { handleGateRoute } from "./gate-route.js";

export type AddHandler = ApplicationFunctionOptions["addHandler"];

/** The composed handler; exported so tests can mount it on a plain http server. */
export function guardrailHandler(app: Probot | null, deps: AppDeps, overrides: Partial<ServiceOptions> = {}) {
  const service = serviceFor(app, deps, overrides);
  const octokitFor = service.auth ?? undefined;
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> =>
    (await handleExports(req, res, deps, service)) ||
    (await handleJobs(req, res, deps, service)) ||
    (await handleHealth(req, res, deps)) ||
    (await handleDashboard(req, res, deps)) ||
    (await handleGateRoute(req, res, deps, { octokitFor }));
}

/** Every HTTP route of DESIGN §9. */
export function registerRoutes(addHandler: AddHandler, app: Probot, deps: AppDeps, overrides: Partial<ServiceOptions> = {}): void {
  addHandler(guardrailHandler(app, deps, overrides));
}
