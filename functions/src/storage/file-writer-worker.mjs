// Worker entry of file-writer.ts, in plain JavaScript so that it starts without a TypeScript loader.
// Each message is a batch of jobs over one buffer of bodies; the reply lists each job's error or null.
import { closeSync, futimesSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";

// The lowest priority, for this thread only (Linux's nice is per thread): the files trail the journal,
// which made the writes durable, so requests come first. The store's `maxPending` bounds the lag.
try {
  setPriority(19);
} catch {}

parentPort.on("message", ({ id, jobs, data }) => {
  const bodies = new Uint8Array(data);
  const errors = jobs.map((job) => {
    try {
      if (job.tmp === undefined) rmSync(job.path, { force: true });
      else write(job, bodies.subarray(job.start, job.end));
      return null;
    } catch (error) {
      if (job.tmp !== undefined) rmSync(job.tmp, { force: true });
      return String(error?.message ?? error);
    }
  });
  parentPort.postMessage({ id, errors });
});

function write(job, body) {
  if (job.dir !== undefined) mkdirSync(job.dir, { recursive: true });
  const fd = openSync(job.tmp, "w");
  try {
    for (let at = 0; at < body.byteLength; ) at += writeSync(fd, body, at, body.byteLength - at, at);
    futimesSync(fd, job.seconds, job.seconds);
  } finally {
    closeSync(fd);
  }
  renameSync(job.tmp, job.path);
}
