/**
 * The Probot app (`npm start` = `probot run ./lib/index.js`). Builds the
 * shared dependencies from the environment once, then wires the webhook
 * handlers, the deploy gate, the HTTP routes and the background jobs.
 */
import type { ApplicationFunction, ApplicationFunctionOptions, Probot } from "probot";
import type { AppDeps } from "./app/deps.js";
import { openDb } from "./store/db.js";
import { loadConfig } from "./config/load.js";
import { registerAppHandlers } from "./app/handlers/index.js";
import type { AppOptions } from "./app/pr-check.js";
import { registerRoutes } from "./http/routes.js";
import { startBackground } from "./jobs/background.js";
import { isUserError } from "./shared/errors.js";
import { linkSecretFromEnv } from "./shared/links.js";
import { redactLoggerOutput } from "./http/log-redaction.js";
import { instrumentApp } from "./app/instrument.js";
import { metricsPortFromEnv } from "./http/metrics-route.js";

export { reposForDataset, recordRepo, isOverridden } from "./store/repos.js";
export { refreshPullRequestChecks } from "./app/pr-check.js";
export { publishRegressionChecks } from "./app/regression.js";
export { buildRepoView, decide } from "./gate/index.js";
export { findSuspects } from "./suspects/index.js";
export { revertedShas } from "./app/reverts.js";
export { linkSecretFromEnv };

export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): AppDeps {
  return {
    db: openDb(env.GUARDRAIL_DB || "./data/guardrail.db"),
    config: loadConfig(env.GUARDRAIL_CONFIG || undefined),
    publicUrl: (env.GUARDRAIL_PUBLIC_URL ?? "").replace(/\/+$/, ""),
    linkSecret: linkSecretFromEnv(env),
    ingestToken: env.GUARDRAIL_INGEST_TOKEN || undefined,
    readToken: env.GUARDRAIL_READ_TOKEN || undefined,
  };
}

/** The app function for given dependencies (tests pass a temp DB and, if they like, a fake evaluator). */
export function createApp(deps: AppDeps, options: AppOptions = {}): ApplicationFunction {
  return (app: Probot, { addHandler }: ApplicationFunctionOptions) => {
    // Probot's request log would hold tokens, cookies and link signatures (docs/operations.md#logs).
    redactLoggerOutput(app.log);
    instrumentApp(app);
    registerAppHandlers(app, deps, options);
    if (addHandler) registerRoutes(addHandler, app, deps);
    if (options.background !== false) {
      const stopBackground = startBackground(app, deps);
      const stopMetrics = metricsPortFromEnv(deps, { info: (m) => app.log.info(m), error: (m) => app.log.error(m) });
      stopOnSigterm(() => {
        stopMetrics();
        stopBackground();
      });
    }
  };
}

/**
 * Stops the background jobs on SIGTERM. A SIGTERM listener replaces Node's
 * default (exit), and `probot run` only handles SIGINT: unless another
 * listener (e.g. `npm run serve`'s graceful close) takes over, exit here, or
 * `docker stop` / `kill` would leave the service running until SIGKILL.
 */
export function stopOnSigterm(stop: () => void, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  const onTerm = () => {
    stop();
    if (process.listenerCount("SIGTERM") === 0) exit(0);
  };
  process.once("SIGTERM", onTerm);
  return () => process.removeListener("SIGTERM", onTerm);
}

/** Entry point for `probot run`: dependencies come from the environment. */
const appFn: ApplicationFunction = (app, options) => {
  let deps: AppDeps;
  try {
    deps = depsFromEnv();
  } catch (err) {
    // A bad GUARDRAIL_CONFIG / GUARDRAIL_DB is one sentence, not a stack trace.
    if (!isUserError(err)) throw err;
    app.log.fatal(err.message);
    process.exit(2);
  }
  return createApp(deps)(app, options);
};
export default appFn;
