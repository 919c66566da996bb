// TF Serving as an ECS service (Fargate CPU by default, or a GPU on the training capacity provider), with
// the model-sync sidecar and a Cloud Map name the API Lambda resolves inside the VPC.
import { Duration } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import * as servicediscovery from "aws-cdk-lib/aws-servicediscovery";
import { Construct } from "constructs";
import { asICluster } from "./cdk-interop.ts";
import type { ServingCompute } from "./config.ts";
import { restStatusCheck, SYNC_SCRIPT } from "./serving-sync.ts";

export interface ServingProps {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.Cluster;
  readonly modelsBucket: s3.IBucket;
  readonly logRetention: logs.RetentionDays;
  /** "gpu" places the service on `gpuCapacityProvider`. @default "cpu" */
  readonly compute?: ServingCompute;
  /** Required when compute is "gpu". */
  readonly gpuCapacityProvider?: ecs.AsgCapacityProvider;
  /** The official image's version; "-gpu" is appended for GPU serving. @default "2.18.0" */
  readonly tfServingVersion?: string;
  /** @default "2.27.0" */
  readonly awsCliVersion?: string;
  /** @default 1 */
  readonly desiredCount?: number;
  /** @default 4 */
  readonly maxCount?: number;
  /** Seconds between two passes of the sync sidecar. @default 15 */
  readonly syncEverySeconds?: number;
}

export const SERVING_GRPC_PORT = 8500;
export const SERVING_REST_PORT = 8501;
export const SERVING_SERVICE_NAME = "serving";
const MODELS_VOLUME = "models";

export class Serving extends Construct {
  public readonly namespace: servicediscovery.PrivateDnsNamespace;
  public readonly taskDefinition: ecs.TaskDefinition;
  public readonly service: ecs.FargateService | ecs.Ec2Service;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly logGroup: logs.LogGroup;
  /** `serving.<namespace>`: the host the API calls on ports 8500 (gRPC) and 8501 (REST). */
  public readonly host: string;
  public readonly desiredCount: number;

  constructor(scope: Construct, id: string, props: ServingProps) {
    super(scope, id);
    const gpu = (props.compute ?? "cpu") === "gpu";
    if (gpu && !props.gpuCapacityProvider) throw new Error("Serving: compute 'gpu' needs gpuCapacityProvider");
    this.desiredCount = props.desiredCount ?? 1;
    this.logGroup = new logs.LogGroup(this, "Logs", { retention: props.logRetention });
    this.namespace = new servicediscovery.PrivateDnsNamespace(this, "Namespace", {
      name: "boxloop.internal",
      vpc: props.vpc,
    });
    this.host = `${SERVING_SERVICE_NAME}.boxloop.internal`;

    this.taskDefinition = gpu
      ? new ecs.Ec2TaskDefinition(this, "GpuTask", { networkMode: ecs.NetworkMode.AWS_VPC })
      : new ecs.FargateTaskDefinition(this, "Task", {
          cpu: 2048,
          memoryLimitMiB: 4096,
          runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64 },
        });
    this.taskDefinition.addVolume({ name: MODELS_VOLUME });
    props.modelsBucket.grantRead(this.taskDefinition.taskRole);

    const sync = this.taskDefinition.addContainer("model-sync", {
      image: ecs.ContainerImage.fromRegistry(`public.ecr.aws/aws-cli/aws-cli:${props.awsCliVersion ?? "2.27.0"}`),
      essential: true,
      entryPoint: ["/bin/bash", "-c"],
      command: [SYNC_SCRIPT, "model-sync", props.modelsBucket.bucketName, String(props.syncEverySeconds ?? 15)],
      memoryReservationMiB: 256,
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: "model-sync", logGroup: this.logGroup }),
      healthCheck: {
        command: ["CMD-SHELL", "test -f /models/models.config"],
        interval: Duration.seconds(10),
        retries: 3,
        startPeriod: Duration.seconds(10),
      },
    });
    sync.addMountPoints({ containerPath: "/models", sourceVolume: MODELS_VOLUME, readOnly: false });

    const version = props.tfServingVersion ?? "2.18.0";
    const server = this.taskDefinition.addContainer("tf-serving", {
      image: ecs.ContainerImage.fromRegistry(`tensorflow/serving:${version}${gpu ? "-gpu" : ""}`),
      essential: true,
      entryPoint: ["tensorflow_model_server"],
      command: [
        `--port=${SERVING_GRPC_PORT}`,
        `--rest_api_port=${SERVING_REST_PORT}`,
        "--model_config_file=/models/models.config",
        "--model_config_file_poll_wait_seconds=30",
        "--file_system_poll_wait_seconds=5",
      ],
      ...(gpu ? { gpuCount: 1 } : {}),
      memoryReservationMiB: 2048,
      portMappings: [{ containerPort: SERVING_GRPC_PORT }, { containerPort: SERVING_REST_PORT }],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: "tf-serving", logGroup: this.logGroup }),
      healthCheck: {
        command: ["CMD-SHELL", restStatusCheck(SERVING_REST_PORT, "health")],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
    });
    server.addMountPoints({ containerPath: "/models", sourceVolume: MODELS_VOLUME, readOnly: true });
    server.addContainerDependencies({ container: sync, condition: ecs.ContainerDependencyCondition.HEALTHY });

    this.securityGroup = new ec2.SecurityGroup(this, "SecurityGroup", {
      vpc: props.vpc,
      description: "TF Serving: gRPC and REST from the API",
      allowAllOutbound: true,
    });
    const common: Omit<ecs.FargateServiceProps, "taskDefinition"> = {
      cluster: asICluster(props.cluster),
      desiredCount: this.desiredCount,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      cloudMapOptions: {
        name: SERVING_SERVICE_NAME,
        cloudMapNamespace: this.namespace,
        dnsRecordType: servicediscovery.DnsRecordType.A as const,
        dnsTtl: Duration.seconds(10),
      },
    };
    this.service = gpu
      ? new ecs.Ec2Service(this, "GpuService", {
          ...common,
          taskDefinition: this.taskDefinition,
          capacityProviderStrategies: [
            { capacityProvider: props.gpuCapacityProvider!.capacityProviderName, weight: 1 },
          ],
        })
      : new ecs.FargateService(this, "Service", { ...common, taskDefinition: this.taskDefinition });
    const scaling = this.service.autoScaleTaskCount({
      minCapacity: this.desiredCount,
      maxCapacity: props.maxCount ?? 4,
    });
    scaling.scaleOnCpuUtilization("Cpu", { targetUtilizationPercent: 60 });
  }

  /** Lets `peer` (the API Lambda) call TF Serving's gRPC and REST ports. */
  allowFrom(peer: ec2.IConnectable): void {
    for (const port of [SERVING_GRPC_PORT, SERVING_REST_PORT]) {
      this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(port), "API to TF Serving");
    }
  }
}
