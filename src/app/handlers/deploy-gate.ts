/** The deploy gate's events: protection-rule requests, and successful deployments (the suspects' source). */
import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { describeError } from "../../shared/errors.js";
import { handleProtectionRuleRequest, type ProtectionRulePayload } from "../deploy-gate.js";
import { recordProductionDeployment } from "../deployments.js";
import type { AppOptions } from "../pr-check.js";
import { fromPino } from "../log.js";
import { guarded } from "./guard.js";

export function registerDeployGate(app: Probot, deps: AppDeps, options: AppOptions): void {
  app.on("deployment_protection_rule.requested", async (context) => {
    const payload = context.payload as unknown as ProtectionRulePayload;
    const log = fromPino(context.log);
    try {
      await handleProtectionRuleRequest(context.octokit, deps, payload, { log, loadConfig: () => context.config("guardrail.yml") });
    } catch (err) {
      log.error(`guardrail deploy gate: ${payload.repository?.full_name}: ${describeError(err)}`);
    }
  });

  app.on("deployment_status.created", async (context) => {
    const { deployment, deployment_status: status, repository, installation } = context.payload;
    if (status.state !== "success") return;
    const log = options.log ?? fromPino(context.log);
    await guarded(log, context, { repo: repository.full_name, sha: deployment.sha }, "recording the deployment", () =>
      recordProductionDeployment(context.octokit, deps, {
        repo: repository.full_name,
        installationId: installation?.id,
        deploymentId: deployment.id,
        sha: deployment.sha,
        ref: deployment.ref ?? null,
        environment: status.environment ?? deployment.environment,
        at: status.created_at,
        payload: deployment.payload,
      }),
    );
  });
}
