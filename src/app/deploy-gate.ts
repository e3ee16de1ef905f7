// STUB — owner: deploy gate helper. Called from src/index.ts.
import type { Probot } from "probot";
import type { AppDeps } from "./deps.js";

/** Webhook handlers of the deploy gate: deployment_protection_rule.requested. */
export function registerDeployGate(_app: Probot, _deps: AppDeps): void {}
