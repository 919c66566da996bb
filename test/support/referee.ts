// The outside referee: a Python virtual environment with real TensorFlow, TensorBoard, pycocotools
// and moto. Created once under .cache/referee and reused; tests call `referee()` and fail with the
// recorded reason when it could not be installed. Python appears only here.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const dir = join(root, ".cache", "referee");
const venv = join(dir, "venv");
const python = join(venv, "bin", "python");
const stamp = join(dir, "installed.txt");
const failure = join(dir, "error.txt");

/** Pinned so that every run judges against the same TensorFlow. */
export const refereePackages = [
  "tensorflow-cpu==2.21.0",
  "tensorboard==2.21.0",
  "pycocotools==2.0.11",
  "moto[server]==5.2.5",
  "grpcio",
];
// tensorflow-serving-api depends on the full `tensorflow` wheel; tensorflow-cpu already provides it.
const noDeps = ["tensorflow-serving-api==2.21.0"];
const wanted = [...refereePackages, ...noDeps].join("\n");

export interface Referee {
  python: string;
  /** Runs a Python snippet with the referee, returning its stdout; throws with stderr on failure. */
  run(script: string, args?: string[], input?: string): string;
}

/** Installs the referee if it is missing; returns the error text instead of throwing. */
export function installReferee(log: (line: string) => void = () => {}): string | undefined {
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === wanted && existsSync(python)) return undefined;
  rmSync(failure, { force: true });
  mkdirSync(dir, { recursive: true });
  try {
    if (!existsSync(python)) {
      log(`creating ${venv}`);
      execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
    }
    const pip = (args: string[]) => {
      const r = spawnSync(python, ["-m", "pip", "install", "--disable-pip-version-check", "-q", ...args], {
        stdio: "inherit",
      });
      if (r.status !== 0) throw new Error(`pip install ${args.join(" ")} exited with ${r.status}`);
    };
    log(`installing ${refereePackages.join(" ")} (once; a few minutes)`);
    pip(refereePackages);
    pip(["--no-deps", ...noDeps]);
    writeFileSync(stamp, wanted);
    return undefined;
  } catch (error) {
    const reason = `the interop referee (Python ${[...refereePackages, ...noDeps].join(", ")}) could not be installed: ${(error as Error).message}`;
    writeFileSync(failure, reason);
    return reason;
  }
}

/** The installed referee; throws (so the calling test fails) with the reason if it is not there. */
export function referee(): Referee {
  const reason = installReferee();
  if (reason) throw new Error(reason);
  return {
    python,
    run(script, args = [], input) {
      const r = spawnSync(python, ["-c", script, ...args], {
        encoding: "utf8",
        input,
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2", CUDA_VISIBLE_DEVICES: "" },
      });
      if (r.status !== 0) throw new Error(`referee script failed (exit ${r.status}):\n${r.stderr}`);
      return r.stdout;
    },
  };
}
