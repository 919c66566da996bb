// The deployment's parameters, read from CDK context (`cdk deploy -c stage=prod -c gpuInstanceType=g6.xlarge`)
// with defaults. Nothing here names an account or a region: the stack is environment-agnostic.
import type { Node } from "constructs";

export type ServingCompute = "cpu" | "gpu";

export interface BoxloopConfig {
  /** Stage name, part of resource names (schedule group, log groups). @default "dev" */
  readonly stage: string;
  /** EC2 instance type of the training capacity (a g5/g6 family type). @default "g5.xlarge" */
  readonly gpuInstanceType: string;
  /** Upper bound of the training Auto Scaling group, which scales from zero. @default 2 */
  readonly maxGpuInstances: number;
  /** Where TF Serving runs: Fargate CPU, or the GPU capacity provider. @default "cpu" */
  readonly servingCompute: ServingCompute;
  /** Days kept for logs, old snapshots and noncurrent object versions. @default 30 */
  readonly retentionDays: number;
  /** Cron expression of the default nightly retraining schedule. @default "cron(0 3 * * ? *)" */
  readonly nightlyCron: string;
  /** Campaign the nightly schedule retrains; the schedule is disabled unless this is set. @default undefined */
  readonly nightlyCampaignId: string | undefined;
}

const defaults: BoxloopConfig = {
  stage: "dev",
  gpuInstanceType: "g5.xlarge",
  maxGpuInstances: 2,
  servingCompute: "cpu",
  retentionDays: 30,
  nightlyCron: "cron(0 3 * * ? *)",
  nightlyCampaignId: undefined,
};

const GPU_FAMILY = /^g[56]e?\.[0-9]*x?large$/;
const STAGE = /^[a-z][a-z0-9-]{0,15}$/;

/** Reads and checks the context values; a bad value throws an Error naming the context key. */
export function configFromContext(node: Node): BoxloopConfig {
  const text = (key: string): string | undefined => {
    const value = node.tryGetContext(key);
    return value === undefined || value === null || value === "" ? undefined : String(value);
  };
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const raw = text(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`context "${key}" must be an integer from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  };
  const stage = text("stage") ?? defaults.stage;
  if (!STAGE.test(stage)) throw new Error(`context "stage" must match ${STAGE}, got "${stage}"`);
  const gpuInstanceType = text("gpuInstanceType") ?? defaults.gpuInstanceType;
  if (!GPU_FAMILY.test(gpuInstanceType)) {
    throw new Error(`context "gpuInstanceType" must be a g5 or g6 type such as g5.xlarge, got "${gpuInstanceType}"`);
  }
  const servingCompute = text("servingCompute") ?? defaults.servingCompute;
  if (servingCompute !== "cpu" && servingCompute !== "gpu") {
    throw new Error(`context "servingCompute" must be "cpu" or "gpu", got "${servingCompute}"`);
  }
  return {
    stage,
    gpuInstanceType,
    maxGpuInstances: int("maxGpuInstances", defaults.maxGpuInstances, 1, 100),
    servingCompute,
    retentionDays: int("retentionDays", defaults.retentionDays, 1, 3650),
    nightlyCron: text("nightlyCron") ?? defaults.nightlyCron,
    nightlyCampaignId: text("nightlyCampaignId") ?? defaults.nightlyCampaignId,
  };
}
