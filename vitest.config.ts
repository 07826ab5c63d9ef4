import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Most suites wait on servers, processes and timers, not on the CPU: with vitest's default
    // of one worker on two cores the suite took 15 minutes with the CPUs half idle (load ~1.5).
    maxWorkers: 3,
  },
});
