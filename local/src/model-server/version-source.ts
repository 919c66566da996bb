// Where a model's versions come from. A version is an integer-named child of the base path whose
// saved_model.pb exists: the publisher writes that file last, so a version without it is still
// being written and is not offered.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** Complete versions and their local directories, or "missing" when the base path does not exist. */
export type Listing = Map<number, string> | "missing";

export interface VersionSource {
  readonly basePath: string;
  list(): Promise<Listing>;
}

export const versionName = /^\d{1,15}$/;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export function fileSystemSource(basePath: string): VersionSource {
  return {
    basePath,
    async list() {
      let entries: import("node:fs").Dirent[];
      try {
        entries = await readdir(basePath, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
        throw error;
      }
      const versions = new Map<number, string>();
      for (const entry of entries) {
        if (!entry.isDirectory() || !versionName.test(entry.name)) continue;
        const dir = join(basePath, entry.name);
        if (await exists(join(dir, "saved_model.pb"))) versions.set(Number(entry.name), dir);
      }
      return versions;
    },
  };
}
