/**
 * Whether the `pulumi up` this program runs under is still there. After Ctrl-C the CLI saves the state and exits
 * within a second, but the program may be in the middle of a wait (./application-wait.ts) that only ends when its
 * Application is done or waitTimeout runs out. A program run by the Automation API inline lives on in its host
 * process, and seen for real (test/e2e/faults.e2e.ts): the leftover wait of an interrupted run ended during the
 * next run and failed it with "Resource monitor is terminating". So the wait asks before every poll, and stops
 * once the engine no longer answers.
 *
 * The question is the resource monitor's SupportsFeature, which changes nothing; an answer of UNAVAILABLE or
 * CANCELLED is what @pulumi/pulumi itself reads as "Resource monitor is terminating" (runtime/resource.js).
 */
import * as pulumi from "@pulumi/pulumi";
import { SupportsFeatureRequest } from "@pulumi/pulumi/proto/resource_pb";

/** The gRPC status codes that say the engine went away (grpc.status.CANCELLED, grpc.status.UNAVAILABLE). */
const GONE = new Set([1, 14]);

export interface PulumiRun {
  /** True once the engine of this run no longer answers. */
  ended(): Promise<boolean>;
}

/** A run that never ends: for a waiter that has no engine to ask (unit tests). */
export const endlessRun: PulumiRun = { ended: async () => false };

/** Whether the monitor's answer to SupportsFeature says it is gone; any other answer, error or not, says it is there. */
export const isGone = (error: { code?: number } | null | undefined): boolean =>
  error !== null && error !== undefined && error.code !== undefined && GONE.has(error.code);

/**
 * The run of this program, asked through the resource monitor it registers resources with. Call it during the
 * run: the Automation API keeps each inline run's monitor in an async context of its own.
 */
export function currentRun(monitor = pulumi.runtime.getMonitor()): PulumiRun {
  if (monitor === undefined) return endlessRun;
  return {
    ended: () =>
      new Promise((resolve) => {
        const request = new SupportsFeatureRequest();
        request.setId("secrets");
        monitor.supportsFeature(request, (error) => resolve(isGone(error)));
      }),
  };
}
