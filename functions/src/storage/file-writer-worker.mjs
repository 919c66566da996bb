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

parentPort.on("message", ({ id, jobs, data }) => {
  const bodies = new Uint8Array(data);
  const made = [];
  const errors = jobs.map((job, i) => {
    try {
      if (job.tmp === undefined) rmSync(job.path, { force: true });
      else if (write(job, bodies.subarray(job.start, job.end))) made.push(i);
      return null;
    } catch (error) {
      if (job.tmp !== undefined) rmSync(job.tmp, { force: true });
      return String(error?.message ?? error);
    }
  });
  parentPort.postMessage({ id, errors, made });
});

/** Writes the file; true when its folder had to be made. */
function write(job, body) {
  const fd = openSync(job.tmp, "w");
  try {
    for (let at = 0; at < body.byteLength; ) at += writeSync(fd, body, at, body.byteLength - at, at);
    futimesSync(fd, job.seconds, job.seconds);
  } finally {
    closeSync(fd);
  }
  // The folder is made when the rename finds it missing: knowing which folders exist would take a
  // set of every folder written (an answer makes one per image).
  try {
    renameSync(job.tmp, job.path);
    return false;
  } catch (error) {
    if (error?.code !== "ENOENT") throw error;
  }
  mkdirSync(dirname(job.path), { recursive: true });
  renameSync(job.tmp, job.path);
  return true;
}
