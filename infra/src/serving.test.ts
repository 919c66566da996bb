// The serving construct on its own (no Lambdas to bundle): CPU by default, GPU on the capacity provider.
import assert from "node:assert/strict";
import { test } from "node:test";
import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sns from "aws-cdk-lib/aws-sns";
import { retentionFor } from "./boxloop-stack.ts";
import type { ServingCompute } from "./config.ts";
import { Network } from "./network.ts";
import { Serving } from "./serving.ts";
import { Storage } from "./storage.ts";
import { Training } from "./training.ts";

function servingTemplate(compute: ServingCompute): Template {
  const stack = new Stack(new App(), "S");
  const logRetention = logs.RetentionDays.ONE_WEEK;
  const { vpc } = new Network(stack, "Network", { logRetention });
  const storage = new Storage(stack, "Storage");
  const cluster = new ecs.Cluster(stack, "Cluster", { vpc });
  const training = new Training(stack, "Training", {
    vpc,
    cluster,
    dataBucket: storage.dataBucket,
    modelsBucket: storage.modelsBucket,
    image: ecs.ContainerImage.fromRegistry("public.ecr.aws/docker/library/busybox:stable"),
    logRetention,
    notifications: new sns.Topic(stack, "Topic"),
  });
  new Serving(stack, "Serving", {
    vpc,
    cluster,
    modelsBucket: storage.modelsBucket,
    logRetention,
    compute,
    gpuCapacityProvider: training.capacityProvider,
  });
  return Template.fromStack(stack);
}

test("serving defaults to Fargate CPU with the CPU image", () => {
  const template = servingTemplate("cpu");
  template.hasResourceProperties("AWS::ECS::Service", { LaunchType: "FARGATE" });
  template.hasResourceProperties("AWS::ECS::TaskDefinition", {
    ContainerDefinitions: Match.arrayWith([
      Match.objectLike({ Name: "tf-serving", Image: "tensorflow/serving:2.18.0" }),
    ]),
  });
});

test("servingCompute gpu: the -gpu image, one GPU, on the GPU capacity provider", () => {
  const template = servingTemplate("gpu");
  template.hasResourceProperties("AWS::ECS::TaskDefinition", {
    RequiresCompatibilities: ["EC2"],
    ContainerDefinitions: Match.arrayWith([
      Match.objectLike({
        Name: "tf-serving",
        Image: "tensorflow/serving:2.18.0-gpu",
        ResourceRequirements: [{ Type: "GPU", Value: "1" }],
      }),
    ]),
  });
  template.hasResourceProperties("AWS::ECS::Service", {
    CapacityProviderStrategy: [Match.objectLike({ Weight: 1 })],
    ServiceRegistries: [Match.objectLike({ RegistryArn: Match.anyValue() })],
  });
  assert.equal(
    Object.keys(template.findResources("AWS::ECS::Service", { Properties: { LaunchType: "FARGATE" } })).length,
    0,
  );
});

test("retention days round up to a period CloudWatch Logs accepts", () => {
  assert.equal(retentionFor(30), logs.RetentionDays.ONE_MONTH);
  assert.equal(retentionFor(31), logs.RetentionDays.TWO_MONTHS);
  assert.equal(retentionFor(1), logs.RetentionDays.ONE_DAY);
  assert.equal(retentionFor(100_000), logs.RetentionDays.TEN_YEARS);
});
