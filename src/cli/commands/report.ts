import type { RegisterCommand } from "./types.js";

// TODO(owner): `guardrail report` — see DESIGN §11.
export const report: RegisterCommand = () => {};
