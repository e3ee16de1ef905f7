import type { RegisterCommand } from "./types.js";

// TODO(owner): `guardrail ingest-agg` — see DESIGN §11.
export const ingestAgg: RegisterCommand = () => {};
