// STUB — owner: service/dashboard helper.
import type { DB } from "../store/db.js";
import type { GuardrailConfig } from "../config/schema.js";

export interface DashboardOptions {
  dataset?: string;
  ds?: string;
  /** Base for links inside the page (signed or relative). */
  linkFor?: (path: string) => string;
}

/** A complete, self-contained HTML page (inline SVG, no scripts needed). */
export function renderDashboard(_db: DB, _config: GuardrailConfig, _opts: DashboardOptions = {}): string {
  throw new Error("not implemented");
}
