/**
 * The service's own Prometheus metrics (docs/operations.md#metrics), built
 * with prom-client on one registry. Every layer may count here; only
 * src/http/metrics-route.ts exposes it. Label values are fixed sets or
 * configured names (datasets, metrics), never free text.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "guardrail_process_" });

export const ingestJobs = new Counter({
  name: "guardrail_ingest_jobs_total",
  help: "Ingest jobs finished, by state (published, rejected, failed).",
  labelNames: ["state"] as const,
  registers: [registry],
});

export const ingestJobDuration = new Histogram({
  name: "guardrail_ingest_job_duration_seconds",
  help: "Time from a job's start to its end, by state.",
  labelNames: ["state"] as const,
  buckets: [1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600],
  registers: [registry],
});

export const eventsIngested = new Counter({
  name: "guardrail_events_ingested_total",
  help: "Event rows loaded by published ingest jobs, by dataset.",
  labelNames: ["dataset"] as const,
  registers: [registry],
});

export const auditFailures = new Counter({
  name: "guardrail_audit_failures_total",
  help: "Exports that failed their audit and stayed unpublished, by dataset.",
  labelNames: ["dataset"] as const,
  registers: [registry],
});

export const lastPublishedAge = new Gauge({
  name: "guardrail_last_published_day_age_hours",
  help: "Hours since the end of the latest published day, by dataset (absent: nothing published).",
  labelNames: ["dataset"] as const,
  registers: [registry],
});

export const verdicts = new Counter({
  name: "guardrail_verdicts_total",
  help: "Verdicts of evaluated days (after each publish), by dataset, metric and verdict.",
  labelNames: ["dataset", "metric", "verdict"] as const,
  registers: [registry],
});

export const gateAnswers = new Counter({
  name: "guardrail_gate_answers_total",
  help: "Deploy gate answers (HTTP gate, protection rules, statuses), by state.",
  labelNames: ["state"] as const,
  registers: [registry],
});

export const githubRequests = new Counter({
  name: "guardrail_github_requests_total",
  help: "GitHub API calls by outcome: ok, http_4xx, http_5xx, timeout, dns, tls, network.",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

export const githubLatency = new Histogram({
  name: "guardrail_github_request_duration_seconds",
  help: "GitHub API call latency, by outcome.",
  labelNames: ["outcome"] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
  registers: [registry],
});

export const webhookLatency = new Histogram({
  name: "guardrail_webhook_handling_seconds",
  help: "Time Guardrail's handlers took for one webhook event, by event name.",
  labelNames: ["event"] as const,
  buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const chatDeliveries = new Counter({
  name: "guardrail_chat_deliveries_total",
  help: "Chat webhook deliveries, by outcome (delivered, failed).",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

/** Seconds since `startMs` (for histograms). */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}
