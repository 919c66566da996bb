// One way to build a boxloop Lambda: Node 22 on arm64, bundled locally with esbuild from functions/.
import { Duration } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import type * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { functionsLockFile, repoRoot } from "./paths.ts";

export interface BoxloopFunctionProps {
  /** The TypeScript file under functions/ that exports the handler. */
  readonly entry: string;
  /** Name of the exported handler. @default "handler" */
  readonly handler?: string;
  readonly environment: Record<string, string>;
  readonly logGroup: logs.ILogGroup;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 1024 */
  readonly memorySize?: number;
  /** Runs inside the VPC when given (the API reaches TF Serving through Cloud Map). @default outside any VPC */
  readonly vpc?: ec2.IVpc;
}

export function boxloopFunction(scope: Construct, id: string, props: BoxloopFunctionProps): nodejs.NodejsFunction {
  return new nodejs.NodejsFunction(scope, id, {
    entry: props.entry,
    handler: props.handler ?? "handler",
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 1024,
    timeout: props.timeout ?? Duration.seconds(30),
    environment: { NODE_OPTIONS: "--enable-source-maps", ...props.environment },
    logGroup: props.logGroup,
    tracing: lambda.Tracing.ACTIVE,
    projectRoot: repoRoot,
    depsLockFilePath: functionsLockFile,
    ...(props.vpc ? { vpc: props.vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } } : {}),
    bundling: {
      format: nodejs.OutputFormat.ESM,
      target: "node22",
      sourceMap: true,
      minify: true,
      // ESM bundles need a `require` for the CommonJS dependencies esbuild inlines.
      banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      // The SDK is bundled too, so the deployed code runs the versions the tests ran.
      externalModules: [],
      // Native addons are copied beside the bundle. They must exist for linux-arm64: see docs/deploy.md.
      loader: { ".node": "copy" },
      forceDockerBundling: false,
      logLevel: nodejs.LogLevel.ERROR,
    },
  });
}
