import type { RegisterCommand } from "./types.js";

// TODO(owner): `guardrail backtest` — see DESIGN §11.
export const backtest: RegisterCommand = () => {};
