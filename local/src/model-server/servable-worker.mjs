// Worker entry: TypeScript runs through tsx, whether or not the parent process registered it for workers.
import { register } from "tsx/esm/api";

register();
await import("./servable-worker.ts");
