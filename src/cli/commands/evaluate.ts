import type { RegisterCommand } from "./types.js";

// TODO(owner): `guardrail evaluate` — see DESIGN §11.
export const evaluate: RegisterCommand = () => {};
