// Builds the CDK app (one stack, cdk-nag's AwsSolutions checks as a validation plugin) without synthesizing,
// so bin/app.ts, bin/export-workflow.ts and the tests all build exactly the same thing.
import { existsSync } from "node:fs";
import { App, Validations } from "aws-cdk-lib";
import * as ecs from "aws-cdk-lib/aws-ecs";
import { AwsSolutionsChecks } from "cdk-nag";
import { BoxloopStack } from "./boxloop-stack.ts";
import { configFromContext } from "./config.ts";
import { acknowledgeNagFindings } from "./nag-acknowledgements.ts";
import { webDist } from "./paths.ts";
import { trainingImage } from "./training-image.ts";

export interface CreateAppOptions {
  /** Extra context, as `-c key=value` would give. @default {} */
  readonly context?: Record<string, string>;
  /** Cloud assembly folder. @default the CLI's (CDK_OUTDIR) or a temporary folder */
  readonly outdir?: string;
  /** @default trainingImage() (training-image/Dockerfile) */
  readonly trainingImage?: ecs.ContainerImage;
  /** @default web/dist when it exists, else a placeholder page */
  readonly webAssetPath?: string | undefined;
  /** @default functions/src/lambda.ts */
  readonly apiEntry?: string;
  /** Apply NAG_ACKNOWLEDGEMENTS. Only the test that proves each one is needed turns this off. @default true */
  readonly acknowledgeNagFindings?: boolean;
}

export function createApp(options: CreateAppOptions = {}): { app: App; stack: BoxloopStack } {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    ...(options.context ? { context: options.context } : {}),
  });
  const config = configFromContext(app.node);
  const alarmEmail = app.node.tryGetContext("alarmEmail") as string | undefined;
  // An image already in a registry (`-c trainingImageUri=…`) instead of building training-image/Dockerfile.
  const trainingImageUri = app.node.tryGetContext("trainingImageUri") as string | undefined;
  const stack = new BoxloopStack(app, `Boxloop-${config.stage}`, {
    description: "boxloop: model-in-the-loop bounding-box labelling",
    config,
    trainingImage:
      options.trainingImage ?? (trainingImageUri ? ecs.ContainerImage.fromRegistry(trainingImageUri) : trainingImage()),
    webAssetPath: "webAssetPath" in options ? options.webAssetPath : existsSync(webDist) ? webDist : undefined,
    alarmEmail,
    ...(options.apiEntry ? { apiEntry: options.apiEntry } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  if (options.acknowledgeNagFindings ?? true) acknowledgeNagFindings(stack);
  return { app, stack };
}
