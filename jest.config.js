/**
 * Three tiers: `unit` needs nothing running; `emulators` and `web` run only under the emulator
 * harness (`npm run test:emulators` runs both), which starts the Firebase emulators, the Hosting
 * emulator serving the built console (web/dist) and the local agent. `web` drives the console in
 * Debian's Chromium through playwright-core (`npm run test:web` runs it alone).
 */
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }];
const common = { testEnvironment: "node", transform: { "^.+\\.ts$": tsJest } };
/** The tiers that run against the emulators wait out a day boundary rather than straddle it (functions/test/helpers/day-boundary.ts). */
const dayBoundary = { setupFilesAfterEnv: ["<rootDir>/functions/test/setup/day-boundary.ts"] };

module.exports = {
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: "unit",
      testMatch: ["<rootDir>/functions/test/unit/**/*.test.ts", "<rootDir>/scripts/test/**/*.test.ts"],
    },
    {
      ...common,
      ...dayBoundary,
      displayName: "emulators",
      testMatch: [
        "<rootDir>/functions/test/integration/**/*.emulator.test.ts",
        "<rootDir>/functions/test/rules/**/*.test.ts",
        "<rootDir>/client/test/**/*.emulator.test.ts",
      ],
    },
    {
      ...common,
      ...dayBoundary,
      displayName: "web",
      testMatch: ["<rootDir>/web/test/**/*.browser.test.ts"],
    },
  ],
};
