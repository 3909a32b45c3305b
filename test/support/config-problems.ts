import * as assert from "assert";
import { parseStackConfig, RawConfig, StackConfigError } from "../../stacks/config";

/** The problems parseStackConfig reports for raw config; fails the test when it accepts the config. */
export function configProblems(raw: RawConfig, stack: string, encrypted?: ReadonlySet<string>): string[] {
  try {
    parseStackConfig(raw, stack, encrypted);
  } catch (e) {
    assert.ok(e instanceof StackConfigError, `expected a StackConfigError, got ${String(e)}`);
    return e.problems;
  }
  assert.fail("expected the config to be rejected");
}
