// The whole boxloop deployment in one stack: storage, API, training workflow, GPU training, serving,
// schedules, web, monitoring. Environment-agnostic: no account or region is written anywhere.
import { ArnFormat, CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type { Construct } from "constructs";
import { Api } from "./api.ts";
import { asICluster } from "./cdk-interop.ts";
import type { BoxloopConfig } from "./config.ts";
import { Monitoring } from "./monitoring.ts";
import { Network } from "./network.ts";
import { boxloopFunction } from "./node-function.ts";
import { apiEntry, workflowEntry } from "./paths.ts";
import { Schedules } from "./schedules.ts";
import { SERVING_GRPC_PORT, SERVING_REST_PORT, Serving } from "./serving.ts";
import { Storage } from "./storage.ts";
import { Training } from "./training.ts";
import { Web } from "./web.ts";
import { WORKFLOW_STEPS, Workflow, type WorkflowStep } from "./workflow.ts";

export interface BoxloopStackProps extends StackProps {
  readonly config: BoxloopConfig;
  /** The training image. Tests pass one; the app builds it from training-image/Dockerfile. */
  readonly trainingImage: ecs.ContainerImage;
  /** Built web app folder, or undefined for a placeholder page. @default undefined */
  readonly webAssetPath?: string | undefined;
  /** E-mail address subscribed to the alarms and GPU scaling events. @default no subscription */
  readonly alarmEmail?: string | undefined;
  /** The API Lambda's entry file. @default functions/src/lambda.ts */
  readonly apiEntry?: string;
}

/** The model served for a campaign is named after it: models bucket `<campaignId>/<version>/`. */
export const MODEL_NAME_SCHEME = "{campaignId}";

export class BoxloopStack extends Stack {
  /** Alarms and GPU scaling events. */
  public readonly notifications: sns.Topic;
  public readonly storage: Storage;
  public readonly network: Network;
  public readonly cluster: ecs.Cluster;
  public readonly training: Training;
  public readonly serving: Serving;
  public readonly workflowFunctions: Record<WorkflowStep, lambda.IFunction>;
  public readonly workflow: Workflow;
  public readonly schedules: Schedules;
  public readonly api: Api;
  public readonly web: Web;
  public readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: BoxloopStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = retentionFor(config.retentionDays);

    this.notifications = new sns.Topic(this, "Notifications", {
      displayName: `boxloop ${config.stage}`,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.notifications.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.network = new Network(this, "Network", { logRetention });
    this.storage = new Storage(this, "Storage", { retentionDays: config.retentionDays });
    this.cluster = new ecs.Cluster(this, "Cluster", {
      vpc: this.network.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      enableFargateCapacityProviders: true,
    });
    this.training = new Training(this, "Training", {
      vpc: this.network.vpc,
      cluster: this.cluster,
      dataBucket: this.storage.dataBucket,
      modelsBucket: this.storage.modelsBucket,
      image: props.trainingImage,
      logRetention,
      notifications: this.notifications,
      instanceType: config.gpuInstanceType,
      maxInstances: config.maxGpuInstances,
    });
    this.serving = new Serving(this, "Serving", {
      vpc: this.network.vpc,
      cluster: this.cluster,
      modelsBucket: this.storage.modelsBucket,
      logRetention,
      compute: config.servingCompute,
      gpuCapacityProvider: this.training.capacityProvider,
    });

    // The state machine's ARN from its name, not a reference: the workflow Lambdas start queued runs, and a
    // reference would make them depend on the state machine that depends on them.
    const stateMachineName = `boxloop-${config.stage}-training`;
    const stateMachineArn = this.formatArn({
      service: "states",
      resource: "stateMachine",
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const workflowEnv = {
      BOXLOOP_STAGE: config.stage,
      BOXLOOP_DATA_BUCKET: this.storage.dataBucket.bucketName,
      BOXLOOP_MODELS_BUCKET: this.storage.modelsBucket.bucketName,
      BOXLOOP_STATE_MACHINE_ARN: stateMachineArn,
      BOXLOOP_KEEP_VERSIONS: "5",
    };
    const workflowLogs = new logs.LogGroup(this, "WorkflowFunctionLogs", { retention: logRetention });
    this.workflowFunctions = Object.fromEntries(
      WORKFLOW_STEPS.map((step) => [
        step,
        boxloopFunction(this, `Workflow-${step}`, {
          entry: workflowEntry,
          handler: step,
          environment: workflowEnv,
          logGroup: workflowLogs,
          memorySize: 2048,
          timeout: lambdaTimeoutFor(step),
        }),
      ]),
    ) as unknown as Record<WorkflowStep, lambda.IFunction>;
    for (const fn of Object.values(this.workflowFunctions)) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["states:StartExecution"], resources: [stateMachineArn] }));
      this.storage.dataBucket.grantReadWrite(fn);
      this.storage.modelsBucket.grantReadWrite(fn);
      this.storage.modelsBucket.grantDelete(fn);
      this.storage.dataBucket.grantDelete(fn);
    }

    this.workflow = new Workflow(this, "Workflow", {
      functions: this.workflowFunctions,
      cluster: asICluster(this.cluster),
      trainTask: this.training.taskDefinition,
      trainContainer: this.training.container,
      trainCapacityProvider: this.training.capacityProvider.capacityProviderName,
      trainSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      trainSecurityGroup: this.training.securityGroup,
      stateMachineName,
      logRetention,
    });
    const scheduleGroupName = `boxloop-${config.stage}`;
    this.schedules = new Schedules(this, "Schedules", {
      stateMachine: this.workflow.stateMachine,
      groupName: scheduleGroupName,
      nightlyCron: config.nightlyCron,
      nightlyCampaignId: config.nightlyCampaignId,
    });

    this.api = new Api(this, "Api", {
      entry: props.apiEntry ?? apiEntry,
      vpc: this.network.vpc,
      logRetention,
      environment: {
        BOXLOOP_STAGE: config.stage,
        DATA_BUCKET: this.storage.dataBucket.bucketName,
        MODELS_BUCKET: this.storage.modelsBucket.bucketName,
        BOXLOOP_STATE_MACHINE_ARN: this.workflow.stateMachine.stateMachineArn,
        BOXLOOP_SCHEDULE_GROUP: scheduleGroupName,
        BOXLOOP_SCHEDULER_ROLE_ARN: this.schedules.role.roleArn,
        BOXLOOP_MODEL_NAME_SCHEME: MODEL_NAME_SCHEME,
        BOXLOOP_TF_SERVING_GRPC: `${this.serving.host}:${SERVING_GRPC_PORT}`,
        BOXLOOP_TF_SERVING_REST: `http://${this.serving.host}:${SERVING_REST_PORT}`,
      },
    });
    this.storage.dataBucket.grantReadWrite(this.api.handler);
    this.storage.dataBucket.grantDelete(this.api.handler);
    this.storage.modelsBucket.grantRead(this.api.handler);
    this.workflow.stateMachine.grantStartExecution(this.api.handler);
    this.workflow.stateMachine.grantRead(this.api.handler);
    this.schedules.grantManage(this.api.handler);
    this.serving.allowFrom(this.api.handler);

    this.web = new Web(this, "Web", {
      apiDomainName: this.api.domainName,
      logsBucket: this.storage.logsBucket,
      assetPath: props.webAssetPath,
      runtimeConfig: {
        region: this.region,
        userPoolId: this.api.userPool.userPoolId,
        userPoolClientId: this.api.webClient.userPoolClientId,
        apiBase: "/api/v1",
      },
    });
    this.storage.allowUploadsFrom(this.web.url);

    this.monitoring = new Monitoring(this, "Monitoring", {
      dashboardName: `boxloop-${config.stage}`,
      httpApi: this.api.httpApi,
      functions: { api: this.api.handler, ...this.workflowFunctions },
      stateMachine: this.workflow.stateMachine,
      servingService: this.serving.service,
      servingHealthyCount: this.serving.desiredCount,
      topic: this.notifications,
    });

    new CfnOutput(this, "Url", { value: this.web.url, description: "The web app and the API (/api/v1)" });
    new CfnOutput(this, "UserPoolId", { value: this.api.userPool.userPoolId });
    new CfnOutput(this, "UserPoolClientId", { value: this.api.webClient.userPoolClientId });
    new CfnOutput(this, "DataBucketName", { value: this.storage.dataBucket.bucketName });
    new CfnOutput(this, "ModelsBucketName", { value: this.storage.modelsBucket.bucketName });
    new CfnOutput(this, "StateMachineArn", { value: this.workflow.stateMachine.stateMachineArn });
  }
}

/** CloudWatch Logs accepts only some retention periods: the shortest one that keeps `days`. */
export function retentionFor(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays)
    .filter((value): value is number => typeof value === "number" && value > 0 && value !== logs.RetentionDays.INFINITE)
    .sort((a, b) => a - b);
  return (allowed.find((value) => value >= days) ?? allowed.at(-1)!) as logs.RetentionDays;
}

function lambdaTimeoutFor(step: WorkflowStep) {
  // Snapshot writes TFRecords and Evaluate runs the detector on held-out images: both take minutes.
  return step === "snapshot" || step === "evaluate" ? Duration.minutes(15) : Duration.minutes(5);
}
