// Where the code the stack deploys lives. Handler code stays in functions/, the trainer in training-image/.
import { join } from "node:path";

export const repoRoot = join(import.meta.dirname, "..", "..");
export const apiEntry = join(repoRoot, "functions", "src", "lambda.ts");
export const workflowEntry = join(repoRoot, "functions", "src", "workflow", "lambda.ts");
export const functionsLockFile = join(repoRoot, "package-lock.json");
export const trainingDockerfile = join(repoRoot, "training-image", "Dockerfile");
export const webDist = join(repoRoot, "web", "dist");
/** The definition the local workflow runner executes, exported from the synthesized template. */
export const committedDefinitionPath = join(repoRoot, "local", "src", "workflow", "state-machine.asl.json");
