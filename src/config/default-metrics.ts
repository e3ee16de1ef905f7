/** The metrics the growth team asked for (docs/metrics.md). Names are a contract. */
import type { Dimension } from "./schema.js";

const ALL: Dimension[] = ["dim_country", "dim_device_brand", "dim_channel", "dim_hostname"];

export const DEFAULT_METRICS = [
  { kind: "count", name: "daily_visitors", description: "Distinct visitors (logged_out_user_id), all events", actions: "all", measure: "unique_visitors", breakdowns: ALL },
  { kind: "count", name: "visits", description: "Visits started (a visitor's events with no 30-minute gap and one source)", actions: "all", measure: "visits", breakdowns: ALL },
  { kind: "count", name: "website_hits", description: "Page visits", actions: ["page_visit"], measure: "events", breakdowns: ALL },
  { kind: "count", name: "daily_logged_in_users", description: "Distinct users with a login", actions: ["login"], measure: "unique_users", breakdowns: ALL },
  { kind: "count", name: "signups", description: "Signup events", actions: ["signup"], measure: "events", breakdowns: ALL },
  { kind: "count", name: "purchases", description: "Purchase events (bootcamps and courses)", actions: ["purchase"], measure: "events", breakdowns: [...ALL, "dim_product_type"] },
  { kind: "ratio", name: "signup_conversion_rate", description: "Signups / website hits", numerator: "signups", denominator: "website_hits", guardrail: true, breakdowns: ALL },
  { kind: "ratio", name: "purchase_conversion_rate", description: "Purchases / signups", numerator: "purchases", denominator: "signups", guardrail: true, breakdowns: ALL },
  { kind: "count", name: "traffic_breakdown_by_channel", description: "Website hits by channel", actions: ["page_visit"], measure: "events", breakdowns: ["dim_channel"] },
] as const;
