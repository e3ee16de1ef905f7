import type { RegisterCommand } from "./types.js";
import { ingest } from "./ingest.js";
import { ingestAgg } from "./ingest-agg.js";
import { report } from "./report.js";
import { evaluate } from "./evaluate.js";
import { backtest } from "./backtest.js";
import { gate } from "./gate.js";
import { fixtures } from "./fixtures.js";
import { demo } from "./demo.js";
import { sql } from "./sql.js";
import { reaggregate } from "./reaggregate.js";
import { checkConfig } from "./check-config.js";
import { upload } from "./upload.js";
import { backup, restore, migrate } from "./backup.js";
import { mark } from "./mark.js";

export const COMMANDS: RegisterCommand[] = [ingest, ingestAgg, report, evaluate, backtest, gate, fixtures, demo, sql, checkConfig, upload, backup, restore, migrate, reaggregate, mark];
