import { defineConfig } from "vitest/config";

// The variables a board's program holds (test/interpreter/footprint.test.ts) are read on the real interpreter, whose
// timers run late on a busy host and leave work piled up at the reading: that file runs last, alone, once every
// other file has finished (a project of its own with a later groupOrder).
const footprint = "test/interpreter/footprint.test.ts";

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    globalSetup: ["test/global-setup.ts"],
    projects: [
      { extends: true, test: { name: "tests", include: ["test/**/*.test.ts"], exclude: [footprint] } },
      { extends: true, test: { name: "footprint", include: [footprint], sequence: { groupOrder: 1 } } },
    ],
  },
});
