import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { LocalStore } from "../storage/local.ts";
import { MemoryLeases, storedLeases } from "./lease.ts";
import { leaseContract } from "./lease-contract.ts";

const dir = mkdtempSync(join(tmpdir(), "boxloop-leases-"));
const store = new LocalStore(dir);
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

leaseContract("memory leases", () => new MemoryLeases());
leaseContract("stored leases (local store)", () => storedLeases(store));
