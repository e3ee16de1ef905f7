/**
 * Webhook handlers of the GitHub app, one file per feature. Each picks what
 * it needs out of the payload and calls one use-case of src/app/.
 */
import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import type { AppOptions } from "../pr-check.js";
import { registerPullRequests } from "./pull-requests.js";
import { registerCommands } from "./commands.js";
import { registerDeployGate } from "./deploy-gate.js";
import { registerInstallations } from "./installations.js";
import { registerPush } from "./push.js";

export function registerAppHandlers(app: Probot, deps: AppDeps, options: AppOptions = {}): void {
  registerPullRequests(app, deps, options);
  registerCommands(app, deps, options);
  registerDeployGate(app, deps, options);
  registerInstallations(app, deps, options);
  registerPush(app, deps, options);
}
