/**
 * Whether the run has ended, asked of a real gRPC resource monitor client: one whose engine is gone (nothing
 * listens at its address) and, through the SDK's mocks, one that answers.
 */
import { strict as assert } from "assert";
import * as net from "net";
import { ResourceMonitorClient } from "@pulumi/pulumi/proto/resource_grpc_pb";
import { currentRun, isGone } from "../components/pulumi-run";
import { useMocks } from "./support/mocks";

// The gRPC library @pulumi/pulumi itself uses, for the client's credentials.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [require.resolve("@pulumi/pulumi")] }));

/** A loopback port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("currentRun", () => {
  it("says the run ended when its resource monitor cannot be reached (UNAVAILABLE)", async () => {
    const monitor = new ResourceMonitorClient(
      `127.0.0.1:${await closedPort()}`,
      grpc.credentials.createInsecure(),
    );
    try {
      assert.equal(await currentRun(monitor).ended(), true);
    } finally {
      monitor.close();
    }
  });

  it("says the run goes on while the monitor answers (the SDK's mock monitor)", async () => {
    useMocks();
    assert.equal(await currentRun().ended(), false);
  });

  it("reads CANCELLED and UNAVAILABLE as gone, any other answer as there", () => {
    assert.equal(isGone({ code: 1 }), true);
    assert.equal(isGone({ code: 14 }), true);
    for (const answer of [null, undefined, { code: 12 }, { code: 2 }, {}])
      assert.equal(isGone(answer), false);
  });
});
