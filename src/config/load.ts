/**
 * Loading and validating `guardrail.config.yml`. Every problem becomes one
 * sentence naming the file, the field and what was expected.
 */
import { readFileSync, existsSync } from "node:fs";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { z } from "zod";
import { UserError } from "../shared/errors.js";
import { configSchema, evaluationSchema, metricSchema, type CalendarEntry, type EvaluationConfig, type GuardrailConfig, type MetricDef } from "./schema.js";
import { DEFAULT_METRICS } from "./default-metrics.js";

/** `metrics[2].numerator`-style path of a zod issue. */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || "(top level)";
}

/** One sentence for the first problem zod found (the others are usually consequences). */
export function describeZodError(source: string, err: z.ZodError): string {
  const issue = err.issues[0];
  const where = issuePath(issue.path);
  let what = issue.message;
  if (issue.code === "unrecognized_keys") what = `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  return `${source}: field ${where}: ${what}.`;
}

export function parseConfig(raw: unknown, source = "guardrail.config.yml"): GuardrailConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new UserError(describeZodError(source, result.error));
  const config = result.data;
  if (!config.metrics) config.metrics = DEFAULT_METRICS.map((m) => metricSchema.parse(m));
  checkMetricGraph(config.metrics, config.action_types, source);
  checkColumns(config, source);
  return config;
}

/** The export's columns (docs/ingest.md): what the event key and not_null may name. */
export const EXPORT_COLUMNS = [
  "user_id",
  "logged_out_user_id",
  "dim_hostname",
  "dim_country",
  "dim_device_brand",
  "action_type",
  "event_timestamp",
  "other_properties",
  "ds",
];

/** Caught here, where the file is known, rather than as a confusing audit failure at ingest time. */
function checkColumns(config: GuardrailConfig, source: string): void {
  const keyCols = EXPORT_COLUMNS.filter((c) => c !== "other_properties");
  const checkKey = (key: string[], field: string) =>
    key.forEach((k, i) => {
      if (!keyCols.includes(k) && !/^other_properties\.[^.]+$/.test(k))
        throw new UserError(`${source}: field ${field}[${i}]: "${k}" is not a column (expected one of ${keyCols.join(", ")} or other_properties.<name>).`);
    });
  checkKey(config.event_key, "event_key");
  for (const [name, d] of Object.entries(config.datasets)) if (d.event_key) checkKey(d.event_key, `datasets.${name}.event_key`);
  config.checks.not_null.columns.forEach((c, i) => {
    if (!EXPORT_COLUMNS.includes(c))
      throw new UserError(`${source}: field checks.not_null.columns[${i}]: "${c}" is not a column (expected one of ${EXPORT_COLUMNS.join(", ")}).`);
  });
}

/** Ratios must point at count metrics that exist; distinct measures must be derivable. */
function checkMetricGraph(metrics: MetricDef[], actions: string[], source: string): void {
  const names = new Map<string, MetricDef>();
  metrics.forEach((m, i) => {
    if (names.has(m.name)) throw new UserError(`${source}: field metrics[${i}].name: "${m.name}" is defined twice.`);
    names.set(m.name, m);
  });
  metrics.forEach((m, i) => {
    if (m.kind === "ratio") {
      for (const side of ["numerator", "denominator"] as const) {
        const target = names.get(m[side]);
        if (!target || target.kind !== "count")
          throw new UserError(`${source}: field metrics[${i}].${side}: expected the name of a count metric, got "${m[side]}".`);
      }
    } else {
      if (m.actions !== "all") {
        for (const a of m.actions)
          if (!actions.includes(a))
            throw new UserError(`${source}: field metrics[${i}].actions: "${a}" is not one of the action types (${actions.join(", ")}).`);
        if (m.measure !== "events" && m.measure !== "visits" && m.actions.length !== 1)
          throw new UserError(`${source}: field metrics[${i}].actions: a ${m.measure} metric needs "all" or exactly one action (distinct counts do not add up across actions).`);
      }
    }
  });
}

export function loadConfig(file?: string): GuardrailConfig {
  const path = file ?? (existsSync("guardrail.config.yml") ? "guardrail.config.yml" : undefined);
  if (!path) return parseConfig({});
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new UserError(`${path}: cannot read the configuration file (does it exist?).`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const line = err instanceof YAMLParseError && err.linePos ? ` line ${err.linePos[0].line}` : "";
    throw new UserError(`${path}:${line} is not valid YAML (${(err as Error).message.split("\n")[0]}).`);
  }
  return parseConfig(raw, path);
}

/** Everything one dataset needs, with its overrides applied. */
export interface DatasetConfig {
  name: string;
  /** IANA zone whose calendar day ds is (docs/ingest.md, "Time zones"). */
  timezone: string;
  naive_timestamps: "local" | "utc";
  action_types: string[];
  action_aliases: Record<string, string>;
  event_key: string[];
  retention_days: number | null;
  notify_url?: string;
  checks: GuardrailConfig["checks"];
  channels: GuardrailConfig["channels"];
  metrics: MetricDef[];
  evaluation: EvaluationConfig;
  /** Known special days (top-level `calendar:` plus the dataset's own). */
  calendar: CalendarEntry[];
}

export function resolveDataset(config: GuardrailConfig, name: string): DatasetConfig {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name))
    throw new UserError(`dataset "${name}": expected a name of letters, digits, - and _ (at most 64 characters).`);
  const own = config.datasets[name] ?? {};
  return {
    name,
    timezone: own.timezone ?? config.timezone,
    naive_timestamps: own.naive_timestamps ?? config.naive_timestamps,
    action_types: own.action_types ?? config.action_types,
    action_aliases: { ...config.action_aliases, ...(own.action_aliases ?? {}) },
    event_key: own.event_key ?? config.event_key,
    retention_days: own.retention_days === undefined ? config.retention_days : own.retention_days,
    notify_url: own.notify_url ?? config.notify_url,
    checks: config.checks,
    channels: config.channels,
    metrics: config.metrics ?? [],
    evaluation: evaluationSchema.parse({ ...config.evaluation, ...(own.evaluation ?? {}) }),
    calendar: [...(config.calendar ?? []), ...(own.calendar ?? [])],
  };
}

/** Defaults for tests and the demo. */
export function defaultDatasetConfig(name = "default"): DatasetConfig {
  return resolveDataset(parseConfig({}), name);
}
