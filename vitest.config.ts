import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // lib/ is compiled once here for the tests that run the compiled code.
    globalSetup: ["test/support/global-setup.ts"],
    // Tests use real SQLite files, child processes and a real Chromium; give them room on a 2-core CI box.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two forks on the 2-core CI box: vitest's default (cores − 1) ran one file at a time, ~400 s of a 10-minute budget.
    maxWorkers: 2,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ["default", ["json", { outputFile: "test-artifacts/vitest.json" }]],
  },
});
