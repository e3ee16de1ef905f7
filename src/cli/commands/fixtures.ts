import type { RegisterCommand } from "./types.js";

// TODO(owner): `guardrail fixtures` — see DESIGN §11.
export const fixtures: RegisterCommand = () => {};
