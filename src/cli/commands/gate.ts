import type { RegisterCommand } from "./types.js";

// TODO(owner): `guardrail gate` — see DESIGN §11.
export const gate: RegisterCommand = () => {};
