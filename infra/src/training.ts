// GPU training capacity: an ECS cluster whose EC2 capacity provider scales g5/g6 instances from zero,
// and the task definition that runs the training image (training-image/Dockerfile) on one GPU.
import { Duration } from "aws-cdk-lib";
import * as autoscaling from "aws-cdk-lib/aws-autoscaling";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";

export interface TrainingProps {
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.Cluster;
  readonly dataBucket: s3.IBucket;
  readonly modelsBucket: s3.IBucket;
  /** The training image; see trainingImage() in training-image.ts. */
  readonly image: ecs.ContainerImage;
  readonly logRetention: logs.RetentionDays;
  /** Receives the GPU Auto Scaling group's launch and termination events. */
  readonly notifications: sns.ITopic;
  /** @default "g5.xlarge" */
  readonly instanceType?: string;
  /** @default 2 */
  readonly maxInstances?: number;
  /** Memory reserved for the trainer, below the instance's. @default 12288 (g5/g6.xlarge have 16 GiB) */
  readonly memoryReservationMiB?: number;
  /** @default 40 */
  readonly rootVolumeGiB?: number;
}

/** Name of the trainer container, the target of the workflow's container override. */
export const TRAINER_CONTAINER = "trainer";

export class Training extends Construct {
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  public readonly capacityProvider: ecs.AsgCapacityProvider;
  public readonly taskDefinition: ecs.Ec2TaskDefinition;
  public readonly container: ecs.ContainerDefinition;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: TrainingProps) {
    super(scope, id);
    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, "GpuInstances", {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      launchTemplate: gpuLaunchTemplate(this, props.vpc, props.instanceType ?? "g5.xlarge", props.rootVolumeGiB ?? 40),
      minCapacity: 0,
      desiredCapacity: 0,
      maxCapacity: props.maxInstances ?? 2,
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(5) }),
      // Managed termination protection (below) needs instances protected from scale-in at launch.
      newInstancesProtectedFromScaleIn: true,
      notifications: [{ topic: props.notifications }],
    });
    this.capacityProvider = new ecs.AsgCapacityProvider(this, "GpuCapacity", {
      autoScalingGroup: this.autoScalingGroup,
      enableManagedScaling: true,
      // ECS scales in only instances that run no task: a training run is never drained to save an instance.
      enableManagedTerminationProtection: true,
      minimumScalingStepSize: 1,
      targetCapacityPercent: 100,
      // ECS managed draining moves tasks off terminating instances (and CDK then adds no drain-hook Lambda).
      enableManagedDraining: true,
    });
    props.cluster.addAsgCapacityProvider(this.capacityProvider);

    this.logGroup = new logs.LogGroup(this, "Logs", { retention: props.logRetention });
    this.taskDefinition = new ecs.Ec2TaskDefinition(this, "Task", { networkMode: ecs.NetworkMode.AWS_VPC });
    this.container = this.taskDefinition.addContainer(TRAINER_CONTAINER, {
      image: props.image,
      essential: true,
      gpuCount: 1,
      memoryReservationMiB: props.memoryReservationMiB ?? 12288,
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: "train", logGroup: this.logGroup }),
      // The job manifest (s3://…/manifest.json) arrives as a command override from the workflow.
      command: ["--help"],
    });
    props.dataBucket.grantReadWrite(this.taskDefinition.taskRole, "campaigns/*");
    props.modelsBucket.grantReadWrite(this.taskDefinition.taskRole);
    this.securityGroup = new ec2.SecurityGroup(this, "TaskSecurityGroup", {
      vpc: props.vpc,
      description: "Training tasks: egress only",
      allowAllOutbound: true,
    });
  }
}

/** A launch template on the ECS-optimized GPU AMI (Amazon Linux 2023, NVIDIA driver), encrypted root volume. */
function gpuLaunchTemplate(
  scope: Construct,
  vpc: ec2.IVpc,
  instanceType: string,
  rootVolumeGiB: number,
): ec2.LaunchTemplate {
  const role = new iam.Role(scope, "InstanceRole", { assumedBy: new iam.ServicePrincipal("ec2.amazonaws.com") });
  const userData = ec2.UserData.forLinux();
  userData.addCommands("echo ECS_ENABLE_GPU_SUPPORT=true >> /etc/ecs/ecs.config");
  return new ec2.LaunchTemplate(scope, "GpuLaunchTemplate", {
    instanceType: new ec2.InstanceType(instanceType),
    machineImage: ecs.EcsOptimizedImage.amazonLinux2023(ecs.AmiHardwareType.GPU),
    userData,
    role,
    requireImdsv2: true,
    detailedMonitoring: true,
    securityGroup: new ec2.SecurityGroup(scope, "InstanceSecurityGroup", {
      vpc,
      description: "GPU container instances: egress only",
      allowAllOutbound: true,
    }),
    blockDevices: [
      {
        deviceName: "/dev/xvda",
        volume: ec2.BlockDeviceVolume.ebs(rootVolumeGiB, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
      },
    ],
  });
}
