/** Installation events: remember the repos the app is on (and their config), forget the ones it left. */
import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { forgetRepos, rememberRepo } from "../installations.js";
import type { AppOptions } from "../pr-check.js";
import { fromPino } from "../log.js";
import { guarded } from "./guard.js";

export function registerInstallations(app: Probot, deps: AppDeps, options: AppOptions): void {
  app.on(["installation.created", "installation_repositories.added"], async (context) => {
    const installationId = context.payload.installation.id;
    const repos = context.payload.action === "created" ? (context.payload.repositories ?? []) : context.payload.repositories_added;
    const log = options.log ?? fromPino(context.log);
    for (const r of repos)
      await guarded(log, context, { repo: r.full_name }, "reading the repo config", () => rememberRepo(context.octokit, deps, r.full_name, installationId));
  });
  app.on("installation_repositories.removed", async (context) => {
    forgetRepos(deps, context.payload.repositories_removed.map((r) => r.full_name));
  });
  app.on("installation.deleted", async (context) => {
    forgetRepos(deps, (context.payload.repositories ?? []).map((r) => r.full_name));
  });
}
