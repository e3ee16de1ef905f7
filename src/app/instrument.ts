/**
 * Wraps the Probot app once, before any handler is registered: every
 * installation Octokit (webhook contexts and background jobs alike come from
 * `app.auth`) gets the GitHub timeout and call metrics, and every webhook
 * handler is timed (docs/operations.md#metrics).
 */
import type { Probot } from "probot";
import { instrumentOctokit } from "../github/octokit.js";
import { secondsSince, webhookLatency } from "../shared/telemetry.js";

const done = new WeakSet<Probot>();

export function instrumentApp(app: Probot): void {
  if (done.has(app)) return;
  done.add(app);
  const auth = app.auth.bind(app);
  // Background jobs (fan-out, freshness, reconciliation) get their Octokit here…
  app.auth = (async (installationId?: number) => instrumentOctokit(await auth(installationId))) as typeof app.auth;
  const on = app.on.bind(app);
  app.on = ((event: any, handler: (context: any) => Promise<void>) =>
    on(event, async (context: any) => {
      const started = performance.now();
      // …webhook contexts get theirs from Probot's transform, so they are wrapped here.
      if (context?.octokit?.hook) instrumentOctokit(context.octokit);
      try {
        return await handler(context);
      } finally {
        webhookLatency.observe({ event: context.payload?.action ? `${context.name}.${context.payload.action}` : context.name }, secondsSince(started));
      }
    })) as typeof app.on;
}
