/**
 * The per-repository configuration `.github/guardrail.yml` (docs/github-app.md, docs/configuration.md),
 * read from the repo's default branch. Everything has a default, so a missing
 * file means "watch dataset `default` with the server's thresholds".
 */
import { z } from "zod";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { describeZodError } from "./load.js";
import type { DatasetConfig } from "./load.js";

export const REPO_CONFIG_PATH = ".github/guardrail.yml";

const metricOverride = z
  .object({
    enforce: z.boolean().optional(),
    sensitivity: z.number().positive().optional(),
    min_relative_change: z.number().min(0).max(1).optional(),
    min_denominator: z.number().nonnegative().optional(),
  })
  .strict();

export const repoConfigSchema = z
  .object({
    dataset: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "a dataset name of letters, digits, - and _").default("default"),
    /** The sites this repository serves; their hostname segments are shown first in the check. */
    hostnames: z.array(z.string().regex(/^[a-z0-9.-]+$/, "a lower-case host name such as www.example.com")).optional(),
    /** Deployments to these environments are production (suspects, deploy gate). */
    production_environments: z.array(z.string().min(1)).min(1).default(["production"]),
    /**
     * Deployments to these environments serve a build to part of the traffic
     * before it merges: their ref (or payload.app_version) is an app_version of
     * that commit, judged on its PR (docs/canary.md).
     */
    canary_environments: z.array(z.string().min(1)).default([]),
    preview_environments: z.array(z.string().min(1)).default([]),
    /** The check's conclusion when there is no verdict (missing/stale data, failed audit). */
    on_missing_data: z.enum(["neutral", "success", "failure"]).default("neutral"),
    metrics: z.record(z.string(), metricOverride).default({}),
    alerts: z.object({ issue: z.boolean().default(true) }).strict().prefault({}),
  })
  .strict();

export type RepoConfig = z.infer<typeof repoConfigSchema>;
export type MetricOverride = z.infer<typeof metricOverride>;

export const DEFAULT_REPO_CONFIG: RepoConfig = repoConfigSchema.parse({});

export type RepoConfigResult = { ok: true; config: RepoConfig } | { ok: false; error: string };

/** The sentence for a file that is not YAML or not a mapping: the check run and `guardrail check-config` say the same. */
export function invalidRepoYaml(source: string, detail: string): string {
  return `${source}: is not valid YAML or not a mapping of settings (${detail}).`;
}

/** Parses and validates the file's text, as the app does with what it reads from the default branch. Never throws. */
export function parseRepoConfigText(text: string, source = REPO_CONFIG_PATH): RepoConfigResult {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const line = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}: ` : "";
    return { ok: false, error: invalidRepoYaml(source, line + (err as Error).message.split("\n")[0]) };
  }
  return parseRepoConfig(raw, source);
}

/** Validates the parsed YAML (null = no file → defaults). Never throws. */
export function parseRepoConfig(raw: unknown, source = REPO_CONFIG_PATH): RepoConfigResult {
  if (raw !== null && raw !== undefined && (typeof raw !== "object" || Array.isArray(raw)))
    return { ok: false, error: `${source}: field (top level): expected a mapping of settings such as "dataset: default".` };
  const result = repoConfigSchema.safeParse(raw ?? {});
  if (!result.success) return { ok: false, error: describeZodError(source, result.error) };
  return { ok: true, config: result.data };
}

/**
 * The dataset config with this repo's metric overrides applied to a copy.
 * An override for a metric the server does not define is a config error,
 * returned as a sentence (the check shows it), not thrown.
 */
export function applyRepoOverrides(
  cfg: DatasetConfig,
  repoCfg: RepoConfig,
  source = REPO_CONFIG_PATH,
): { ok: true; config: DatasetConfig } | { ok: false; error: string } {
  const known = new Set(cfg.metrics.map((m) => m.name));
  for (const name of Object.keys(repoCfg.metrics)) {
    if (!known.has(name))
      return { ok: false, error: `${source}: field metrics.${name}: expected the name of a metric of dataset "${cfg.name}" (${[...known].join(", ")}).` };
  }
  const metrics = cfg.metrics.map((m) => {
    const o = repoCfg.metrics[m.name];
    if (!o) return m;
    const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
    return { ...m, ...defined };
  });
  return { ok: true, config: { ...cfg, metrics } };
}
