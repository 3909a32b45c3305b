/**
 * Root hooks of the e2e run (mocha loads this file through test/e2e/.mocharc.json): after every suite has
 * cleaned up, a run in which every test passed must have left no directory of its own behind, /dev/shm
 * included. A failed run keeps its directories: each failure message says where its logs are.
 */
import { leftovers } from "./scratch";

let failed = false;

export const mochaHooks = {
  afterEach(this: Mocha.Context): void {
    if (this.currentTest?.state === "failed") failed = true;
  },
  afterAll(): void {
    if (failed) return;
    const left = leftovers();
    if (left.length > 0) {
      throw new Error(
        `the e2e run passed but left ${left.length} of its directories behind: ${left.join(", ")}`,
      );
    }
  },
};
