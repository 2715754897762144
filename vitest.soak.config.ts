import { defineConfig } from "vitest/config";

// The long soak scenarios (`npm run test:soak`): run by CI besides the default suite, kept out of
// `npm test` so that it stays quick.
export default defineConfig({
  test: {
    include: ["test/soak/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
