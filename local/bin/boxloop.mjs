#!/usr/bin/env -S node --max-semi-space-size=64
// The `boxloop` CLI. TypeScript sources run through tsx, so no build step stands between a clone and a run.
// A 64 MiB young generation (V8's default: 16 MiB): the API allocates per request, and fewer, larger
// scavenges serve tasks:next ~25% faster (bench/api.ts runs its servers the same way).
import { register } from "tsx/esm/api";

// 16 threads in libuv's pool (default 4): the local store keeps 8 file operations of its write-behind
// in flight, and with 4 threads the journal's append and fdatasync queued behind them (15–20 ms a
// commit under load). Read when the pool starts, which nothing has made it do yet.
process.env.UV_THREADPOOL_SIZE ??= "16";

register();
const { main } = await import("../src/cli.ts");
process.exitCode = await main(process.argv.slice(2));
