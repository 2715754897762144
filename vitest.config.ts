import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The soak scenarios run with `npm run test:soak` (vitest.soak.config.ts).
    exclude: ["test/soak/**", "**/node_modules/**"],
    // Integration tests run real sockets, ptys and child processes: keep the pool small
    // so a 2-core machine is not oversubscribed, and give slow machines some slack.
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    maxWorkers: 2,
    // A worker imports the modules once for all its files (a third of the suite's time otherwise).
    // So a test restores whatever global it changes (fake timers, environment) in afterEach.
    isolate: false,
  },
});
