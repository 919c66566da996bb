// Flushes a whole file system (syncfs, by `sync -f`) through one long-lived shell. Spawning `sync`
// from the server forks the server, page tables and all: at ~600 MB that held the event loop for
// 12–22 ms, and the journal's checkpoint does it once a second under load. The shell is forked
// once; it forks the small `sync` itself.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { resolve as absolute } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

// One path a line in; a line out: `sync -f`'s exit status, then what it printed, on one line.
const script = `while IFS= read -r path; do
  out=$(sync -f "$path" 2>&1); status=$?
  printf '%s %s\\n' "$status" "$(printf %s "$out" | tr '\\n' ' ')"
done`;

type Child = ChildProcessByStdio<Writable, Readable, null>;
type Waiting = { path: string; resolve: () => void; reject: (error: Error) => void };

interface Shell {
  child: Child;
  /** Its syncs under way, in order. */
  waiting: Waiting[];
}

let shell: Shell | undefined;

function started(): Shell {
  if (shell !== undefined) return shell;
  const child = spawn("sh", ["-c", script], { stdio: ["pipe", "pipe", "ignore"] });
  const self: Shell = { child, waiting: [] };
  const failAll = (error: Error) => {
    if (shell === self) shell = undefined;
    for (const { reject } of self.waiting.splice(0)) reject(error);
  };
  createInterface({ input: child.stdout }).on("line", (line) => {
    const done = self.waiting.shift();
    const [status, ...message] = line.split(" ");
    if (status === "0") done?.resolve();
    else done?.reject(new Error(`sync -f ${done.path} exited with status ${status}: ${message.join(" ").trim()}`));
    if (self.waiting.length === 0) refed(child, false);
  });
  child.on("error", failAll);
  child.on("exit", (code) => failAll(new Error(`the sync shell exited with code ${code}`)));
  child.stdin.on("error", failAll);
  shell = self;
  return self;
}

/** Only while a sync is under way does the shell keep the process alive. */
function refed(child: Child, busy: boolean): void {
  for (const handle of [child, child.stdin, child.stdout] as { ref?: () => void; unref?: () => void }[])
    if (busy) handle.ref?.();
    else handle.unref?.();
}

/** Flushes every file system buffer of the file system holding `path`. */
export function syncFileSystem(path: string): Promise<void> {
  if (path.includes("\n")) return Promise.reject(new Error(`a path with a line break: ${JSON.stringify(path)}`));
  return new Promise((resolve, reject) => {
    const { child, waiting } = started();
    waiting.push({ path, resolve, reject });
    refed(child, true);
    child.stdin.write(`${absolute(path)}\n`);
  });
}
