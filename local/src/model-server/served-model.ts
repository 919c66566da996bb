// One model's versions, managed as TF Serving's AspiredVersionsManager with its availability-
// preserving policy: the source lists complete versions each poll, the policy picks the aspired
// ones, new versions load before unaspired ones unload (no gap), a version that fails to load ends
// with its error while the previous one keeps serving, and a version whose directory vanished is
// unloaded. A missing base path changes nothing (TF Serving logs "Could not find base path" and
// keeps serving); an existing but empty one unloads every version.
import type { Servable, ServableLoader } from "./servable.ts";
import { type CodeName, invalidArgument, notFound, ServingError, toServingError } from "./serving-error.ts";
import { aspiredVersions, type VersionPolicy } from "./version-policy.ts";
import type { VersionSource } from "./version-source.ts";

export type VersionState = "START" | "LOADING" | "AVAILABLE" | "UNLOADING" | "END";

export interface VersionStatus {
  version: number;
  state: VersionState;
  error: { code: CodeName; message: string } | undefined;
}

interface Entry {
  version: number;
  dir: string;
  state: VersionState;
  error: ServingError | undefined;
  servable: Servable | undefined;
  inflight: number;
  drained: (() => void) | undefined;
}

/** A servable held for one request; release it when the request is done. */
export interface Handle {
  version: number;
  servable: Servable;
  release(): void;
}

export interface VersionRequest {
  version?: number | undefined;
  label?: string | undefined;
}

export interface ServedModelOptions {
  name: string;
  source: VersionSource;
  policy: VersionPolicy;
  loader: ServableLoader;
  labels?: Record<string, number>;
  log?: (line: string) => void;
  /** Called after every state change (metrics). */
  onChange?: () => void;
}

export class ServedModel {
  readonly name: string;
  private readonly entries = new Map<number, Entry>();
  private polling: Promise<void> | undefined;
  private closed = false;
  lastPollError: string | undefined;
  labels: Record<string, number>;

  constructor(private options: ServedModelOptions) {
    this.name = options.name;
    this.labels = options.labels ?? {};
  }

  get basePath(): string {
    return this.options.source.basePath;
  }

  /** A new version policy and labels (HandleReloadConfigRequest); applied at the next poll. */
  reconfigure(policy: VersionPolicy, labels: Record<string, number>): void {
    this.options = { ...this.options, policy };
    this.labels = labels;
  }

  /** Polls the source once; concurrent calls share the running poll. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private log(line: string) {
    (this.options.log ?? console.error)(line);
  }

  private async pollOnce(): Promise<void> {
    if (this.closed) return;
    let listing: Awaited<ReturnType<VersionSource["list"]>>;
    try {
      listing = await this.options.source.list();
    } catch (error) {
      this.reportPollError(
        `FileSystemStoragePathSource encountered a filesystem access error: ${(error as Error).message}`,
      );
      return;
    }
    if (listing === "missing") {
      this.reportPollError(
        `FileSystemStoragePathSource encountered a filesystem access error: Could not find base path ${this.options.source.basePath} for servable ${this.name}`,
      );
      return;
    }
    this.lastPollError = undefined;
    // A failed version whose directory is gone is forgotten, so a republished one loads again.
    for (const entry of [...this.entries.values()]) {
      if (entry.error && !listing.has(entry.version)) this.entries.delete(entry.version);
    }
    const aspired = new Set(aspiredVersions([...listing.keys()], this.options.policy));
    if (aspired.size === 0 && listing.size === 0) {
      this.log(`No versions of servable ${this.name} found under base path ${this.options.source.basePath}`);
    }
    // Load aspired versions not yet loaded (newest first), unless they already failed.
    for (const version of [...aspired].sort((a, b) => b - a)) {
      const entry = this.entries.get(version);
      if (entry && (entry.state !== "END" || entry.error)) continue;
      await this.load(version, listing.get(version)!);
      if (this.closed) return;
    }
    // Unload unaspired versions once an aspired one serves, or when nothing is aspired any more.
    const aspiredServing = [...aspired].some((v) => this.entries.get(v)?.state === "AVAILABLE");
    for (const entry of [...this.entries.values()]) {
      if (aspired.has(entry.version) || entry.state !== "AVAILABLE") continue;
      if (aspiredServing || aspired.size === 0 || !listing.has(entry.version)) await this.unload(entry);
    }
  }

  private reportPollError(message: string) {
    if (this.lastPollError !== message) this.log(message);
    this.lastPollError = message;
  }

  private setState(entry: Entry, state: VersionState) {
    entry.state = state;
    this.options.onChange?.();
  }

  private async load(version: number, dir: string): Promise<void> {
    const entry: Entry = {
      version,
      dir,
      state: "START",
      error: undefined,
      servable: undefined,
      inflight: 0,
      drained: undefined,
    };
    this.entries.set(version, entry);
    this.setState(entry, "LOADING");
    this.log(`Loading servable: {name: ${this.name} version: ${version}} from ${dir}`);
    try {
      entry.servable = await this.options.loader(dir);
      this.setState(entry, "AVAILABLE");
      this.log(`Successfully loaded servable version {name: ${this.name} version: ${version}}`);
    } catch (error) {
      entry.error = toServingError(error);
      this.setState(entry, "END");
      this.log(`Loading servable: {name: ${this.name} version: ${version}} failed: ${entry.error.message}`);
    }
  }

  private async unload(entry: Entry): Promise<void> {
    this.setState(entry, "UNLOADING");
    if (entry.inflight > 0) await new Promise<void>((resolve) => (entry.drained = resolve));
    entry.servable?.dispose();
    entry.servable = undefined;
    this.setState(entry, "END");
    this.log(`Unloaded servable version {name: ${this.name} version: ${entry.version}}`);
  }

  /** Version statuses, newest first, as GetModelStatus lists them. */
  status(version?: number): VersionStatus[] {
    const show = (e: Entry): VersionStatus => ({
      version: e.version,
      state: e.state,
      error: e.error ? { code: e.error.code, message: e.error.message } : undefined,
    });
    if (version !== undefined) {
      const entry = this.entries.get(version);
      if (!entry) throw notFound(`Could not find version ${version} of model ${this.name}`);
      return [show(entry)];
    }
    const all = [...this.entries.values()].sort((a, b) => b.version - a.version).map(show);
    if (all.length === 0) throw notFound(`Could not find any versions of model ${this.name}`);
    return all;
  }

  availableVersions(): number[] {
    return [...this.entries.values()].filter((e) => e.state === "AVAILABLE").map((e) => e.version);
  }

  /** The servable a request names (latest available when no version or label), held until released. */
  acquire(request: VersionRequest): Handle {
    if (request.version !== undefined && request.label !== undefined) {
      throw invalidArgument(
        `Both model version (${request.version}) and model version label (${request.label}) cannot be supplied.`,
      );
    }
    let entry: Entry | undefined;
    let what: string;
    if (request.label !== undefined) {
      const version = this.labels[request.label];
      if (version === undefined) throw invalidArgument(`Unrecognized servable version label: ${request.label}`);
      entry = this.entries.get(version);
      what = `Specific(${this.name}, ${version})`;
    } else if (request.version !== undefined) {
      entry = this.entries.get(request.version);
      what = `Specific(${this.name}, ${request.version})`;
    } else {
      const latest = Math.max(...this.availableVersions());
      entry = this.entries.get(latest);
      what = `Latest(${this.name})`;
    }
    if (entry?.state !== "AVAILABLE" || !entry.servable) {
      throw notFound(`Servable not found for request: ${what}`);
    }
    const held = entry;
    held.inflight++;
    let released = false;
    return {
      version: held.version,
      servable: held.servable!,
      release: () => {
        if (released) return;
        released = true;
        held.inflight--;
        if (held.inflight === 0) held.drained?.();
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.polling;
    for (const entry of this.entries.values()) {
      if (entry.state === "AVAILABLE") await this.unload(entry);
    }
  }
}

export { ServingError };
