#!/usr/bin/env -S node --max-semi-space-size=64
// The `boxloop` CLI. TypeScript sources run through tsx, so no build step stands between a clone and a run.
// A 64 MiB young generation (V8's default: 16 MiB): the API allocates per request, and fewer, larger
// scavenges serve tasks:next ~25% faster (bench/api.ts runs its servers the same way).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli.ts");
process.exitCode = await main(process.argv.slice(2));
