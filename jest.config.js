/**
 * Two tiers: `unit` needs nothing running; `emulators` runs only under the emulator harness
 * (`npm run test:emulators`), which starts the Firebase emulators and the local agent.
 */
const tsJest = ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }];
const common = { testEnvironment: "node", transform: { "^.+\\.ts$": tsJest } };

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
      displayName: "emulators",
      testMatch: [
        "<rootDir>/functions/test/integration/**/*.emulator.test.ts",
        "<rootDir>/functions/test/rules/**/*.test.ts",
        "<rootDir>/client/test/**/*.emulator.test.ts",
      ],
    },
  ],
};
