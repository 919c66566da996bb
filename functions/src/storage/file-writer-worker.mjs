// Worker entry of file-writer.ts, in plain JavaScript so that it starts without a TypeScript loader.
// Each message is a batch of jobs over one buffer of bodies; the reply lists each job's error or null,
// and the jobs that made their file's folder.
import { closeSync, futimesSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { setPriority } from "node:os";
import { dirname } from "node:path";
import { parentPort } from "node:worker_threads";

// The lowest priority, for this thread only (Linux's nice is per thread): the files trail the journal,
// which made the writes durable, so requests come first. The store's `maxPending` bounds the lag.
try {
  setPriority(19);
} catch {}

/** The temporary file a key's file is written to first: beside it (a rename within one folder costs
 * this ext4 about half what one across folders does), hidden (keys never start with a dot), and one
 * per key, so that the next write or the journal's replay after a crash replaces a stray one. */
const tmpOf = (path) => {
  const slash = path.lastIndexOf("/");
  return `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.tmp`;
};

parentPort.on("message", ({ id, jobs, data }) => {
  const bodies = new Uint8Array(data);
  const made = [];
  const errors = jobs.map((job, i) => {
    const tmp = tmpOf(job.path);
    try {
      if (job.seconds === undefined) {
        rmSync(job.path, { force: true });
        rmSync(tmp, { force: true });
      } else if (write(job, tmp, bodies.subarray(job.start, job.end))) made.push(i);
      return null;
    } catch (error) {
      if (job.seconds !== undefined) rmSync(tmp, { force: true });
      return String(error?.message ?? error);
    }
  });
  parentPort.postMessage({ id, errors, made });
});

/** Writes the file through `tmp`; true when its folder had to be made. */
function write(job, tmp, body) {
  let made = false;
  let fd;
  try {
    fd = openSync(tmp, "w");
  } catch (error) {
    if (error?.code !== "ENOENT") throw error;
    mkdirSync(dirname(job.path), { recursive: true });
    made = true;
    fd = openSync(tmp, "w");
  }
  try {
    for (let at = 0; at < body.byteLength; ) at += writeSync(fd, body, at, body.byteLength - at, at);
    futimesSync(fd, job.seconds, job.seconds);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, job.path);
  return made;
}
