// A local store in a temporary folder for one test, closed and removed afterwards.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStore } from "../storage/local.ts";

export async function withLocalStore(fn: (store: LocalStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "boxloop-store-"));
  const store = new LocalStore(dir);
  try {
    await fn(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
