// The whole storage contract, conditional writes included, on the S3 adapter against moto's server;
// then the leases kept in it.
import { after, before } from "node:test";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { storeContract } from "@boxloop/functions/storage/contract";
import { S3Store } from "@boxloop/functions/storage/s3";
import { storedLeases } from "@boxloop/functions/tasks/lease";
import { leaseContract } from "@boxloop/functions/tasks/lease-contract";
import { type Moto, startMoto } from "../support/moto.ts";

let moto: Moto | undefined;
let store: S3Store | undefined;

before(async () => {
  moto = await startMoto();
  store = new S3Store({
    bucket: "boxloop-data",
    clientConfig: {
      endpoint: moto.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "y" },
    },
  });
  await store.client.send(new CreateBucketCommand({ Bucket: "boxloop-data" }));
});
after(() => {
  store?.client.destroy();
  moto?.close();
});

storeContract("s3 (moto)", () => store!, { conditional: true, fetch: (url, init) => fetch(url, init) });
leaseContract("stored leases (s3, moto)", () => storedLeases(store!));
