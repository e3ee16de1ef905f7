/** `push`: a change to `.github/guardrail.yml` on the default branch refreshes the cached config at once. */
import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { reloadConfigAfterPush } from "../push.js";
import type { AppOptions } from "../pr-check.js";
import { fromPino } from "../log.js";

export function registerPush(app: Probot, deps: AppDeps, options: AppOptions): void {
  app.on("push", async (context) => {
    const log = options.log ?? fromPino(context.log);
    await reloadConfigAfterPush(context.octokit, deps, context.payload, log, context);
  });
}
