// The training image, built from training-image/Dockerfile with the repository root as build context.
// CDK only stages the build context at synth (no Docker needed); the image is built and pushed by
// `cdk deploy` (or `cdk-assets publish`), on a machine with Docker.
import { existsSync } from "node:fs";
import { relative } from "node:path";
import { Platform } from "aws-cdk-lib/aws-ecr-assets";
import * as ecs from "aws-cdk-lib/aws-ecs";
import { repoRoot, trainingDockerfile } from "./paths.ts";

/**
 * What never goes into the build context. Anything more specific belongs in a `.dockerignore` at the
 * repository root, which CDK reads too.
 */
export const TRAINING_CONTEXT_EXCLUDE = ["**/node_modules", ".git", "cdk.out", ".cache", ".boxloop", "test-artifacts"];

export function trainingImage(dockerfile: string = trainingDockerfile): ecs.ContainerImage {
  if (!existsSync(dockerfile)) throw new Error(`training image: ${dockerfile} does not exist`);
  return ecs.ContainerImage.fromAsset(repoRoot, {
    file: relative(repoRoot, dockerfile),
    exclude: TRAINING_CONTEXT_EXCLUDE,
    // g5/g6 instances are x86_64, whatever machine builds the image.
    platform: Platform.LINUX_AMD64,
  });
}
