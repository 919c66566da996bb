// Synthesizes the app into `outdir` and returns the local definition's file text (see workflow-definition.ts).
import { existsSync } from "node:fs";
import * as ecs from "aws-cdk-lib/aws-ecs";
import { createApp } from "./app.ts";
import { trainingDockerfile } from "./paths.ts";
import { formatDefinition, localDefinition } from "./workflow-definition.ts";

export const STAND_IN_IMAGE = "public.ecr.aws/docker/library/busybox:stable";

/**
 * The image does not change the definition, so when training-image/Dockerfile is absent a registry image
 * stands in for it (the definition names the task definition's family, not its image).
 */
export function imageForExport(): ecs.ContainerImage | undefined {
  return existsSync(trainingDockerfile)
    ? undefined
    : ecs.ContainerImage.fromRegistry("public.ecr.aws/docker/library/busybox:stable");
}

export function synthLocalDefinition(outdir: string): string {
  const image = imageForExport();
  const { app, stack } = createApp({ outdir, ...(image ? { trainingImage: image } : {}) });
  const assembly = app.synth();
  return formatDefinition(localDefinition(stack, assembly.getStackByName(stack.stackName).template));
}
