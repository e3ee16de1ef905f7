import type { RegisterCommand } from "./types.js";

// TODO(owner): `guardrail demo` — see DESIGN §11.
export const demo: RegisterCommand = () => {};
