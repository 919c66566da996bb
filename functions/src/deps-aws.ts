// The app's dependencies in AWS, from the Lambda's environment:
//   DATA_BUCKET, MODELS_BUCKET, COGNITO_USER_POOL_ID, COGNITO_CLIENT_IDS (comma-separated),
//   AWS_REGION (set by Lambda), COGNITO_ADMIN_GROUP (default "admin"), BOXLOOP_STATE_MACHINE_ARN,
//   BOXLOOP_SCHEDULE_GROUP, BOXLOOP_SCHEDULER_ROLE_ARN, BOXLOOP_TF_SERVING_GRPC (host:port).
import { S3Client } from "@aws-sdk/client-s3";
import { cognitoAuthenticator } from "./auth/cognito.ts";
import type { AppDeps } from "./context.ts";
import { ModelClient } from "./model-client/model-client.ts";
import { modelClientPredictor } from "./model-client/predictor.ts";
import { eventBridgeSchedules } from "./schedule/eventbridge.ts";
import { S3Store, s3ClientConfig } from "./storage/s3.ts";
import { sfnStarter } from "./workflow/sfn-starter.ts";
import { workflowModels, workflowTrainingRuns } from "./workflow/training-runs.ts";

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === "") throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function awsDeps(env: NodeJS.ProcessEnv = process.env, overrides: Partial<AppDeps> = {}): AppDeps {
  const region = required(env, "AWS_REGION");
  const client = new S3Client(s3ClientConfig({ region }));
  const store = new S3Store({ client, bucket: required(env, "DATA_BUCKET") });
  const models = new S3Store({ client, bucket: required(env, "MODELS_BUCKET") });
  return {
    store,
    auth: cognitoAuthenticator({
      region,
      userPoolId: required(env, "COGNITO_USER_POOL_ID"),
      clientIds: required(env, "COGNITO_CLIENT_IDS").split(","),
      ...(env.COGNITO_ADMIN_GROUP ? { adminGroup: env.COGNITO_ADMIN_GROUP } : {}),
    }),
    trainingRuns: workflowTrainingRuns(store, sfnStarter(required(env, "BOXLOOP_STATE_MACHINE_ARN"))),
    models: workflowModels(store, models),
    predictor: modelClientPredictor(
      new ModelClient({ transport: "grpc", address: required(env, "BOXLOOP_TF_SERVING_GRPC") }),
    ),
    schedules: eventBridgeSchedules({
      group: required(env, "BOXLOOP_SCHEDULE_GROUP"),
      stateMachineArn: required(env, "BOXLOOP_STATE_MACHINE_ARN"),
      roleArn: required(env, "BOXLOOP_SCHEDULER_ROLE_ARN"),
    }),
    bucketStore: (bucket) => new S3Store({ client, bucket }),
    ...overrides,
  };
}
