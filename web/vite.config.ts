import { defineConfig } from "vite";

// The API serves dist/ at "/" and proxies nothing: in `vite dev`, /api goes to a running `boxloop start`.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  server: { proxy: { "/api": process.env.BOXLOOP_API ?? "http://localhost:8787" } },
});
