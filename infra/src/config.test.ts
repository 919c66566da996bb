import assert from "node:assert/strict";
import { test } from "node:test";
import { App } from "aws-cdk-lib";
import { configFromContext } from "./config.ts";

const config = (context: Record<string, string>) => configFromContext(new App({ context }).node);

test("defaults when no context is given", () => {
  assert.deepEqual(config({}), {
    stage: "dev",
    gpuInstanceType: "g5.xlarge",
    maxGpuInstances: 2,
    servingCompute: "cpu",
    retentionDays: 30,
    nightlyCron: "cron(0 3 * * ? *)",
    nightlyCampaignId: undefined,
  });
});

test("context values are read and checked", () => {
  const c = config({
    stage: "prod",
    gpuInstanceType: "g6.2xlarge",
    maxGpuInstances: "4",
    servingCompute: "gpu",
    retentionDays: "90",
    nightlyCampaignId: "raccoons",
  });
  assert.equal(c.stage, "prod");
  assert.equal(c.gpuInstanceType, "g6.2xlarge");
  assert.equal(c.maxGpuInstances, 4);
  assert.equal(c.servingCompute, "gpu");
  assert.equal(c.retentionDays, 90);
  assert.equal(c.nightlyCampaignId, "raccoons");
});

test("a bad value names its context key", () => {
  assert.throws(() => config({ gpuInstanceType: "m5.large" }), /context "gpuInstanceType" must be a g5 or g6 type/);
  assert.throws(() => config({ maxGpuInstances: "0" }), /context "maxGpuInstances" must be an integer from 1/);
  assert.throws(() => config({ maxGpuInstances: "two" }), /context "maxGpuInstances"/);
  assert.throws(() => config({ servingCompute: "tpu" }), /context "servingCompute" must be "cpu" or "gpu"/);
  assert.throws(() => config({ stage: "Prod!" }), /context "stage"/);
});
