/** What the running service's handlers share. Built once in src/index.ts. */
import type { DB } from "../store/db.js";
import type { GuardrailConfig } from "../config/schema.js";

export interface AppDeps {
  db: DB;
  config: GuardrailConfig;
  /** External base URL for links (GUARDRAIL_PUBLIC_URL), no trailing slash. */
  publicUrl: string;
  /** HMAC key for signed dashboard links. */
  linkSecret: string;
  ingestToken?: string;
  readToken?: string;
}
