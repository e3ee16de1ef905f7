import type { RegisterCommand } from "./types.js";

// TODO(owner): `guardrail sql` — see DESIGN §11.
export const sql: RegisterCommand = () => {};
