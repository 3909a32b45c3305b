/** The values a Helm release is installed with, once a stack's own chart values are merged over the program's. */
import * as pulumi from "@pulumi/pulumi";
import { mergeValues } from "./common";

type Values = Record<string, unknown>;

/**
 * The program's values with the stack's merged last. When the stack's values hold a secret (set with
 * `--path --secret`), the whole result is a secret Output: the CLI hands over the key decrypted as a whole, so
 * which value was the secret is not known here, and the release's values must never be stored in plain state.
 */
export function releaseValues(
  program: Values,
  user: Values | undefined,
  userSecret = false,
): pulumi.Input<Values> {
  const merged = mergeValues(program, user);
  return userSecret ? pulumi.secret(merged) : merged;
}
