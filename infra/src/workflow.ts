// The training workflow (DESIGN.md "The workflow"): one standard state machine on JSONPath. Its
// definition is also what the local runner executes (bin/export-workflow.ts writes it out).
import { Duration, Token } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import type * as ecs from "aws-cdk-lib/aws-ecs";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";

/** The Lambda steps, by the name each is exported under in functions/src/workflow/lambda.ts. */
export const WORKFLOW_STEPS = ["snapshot", "evaluate", "publish", "cleanup", "recordFailure"] as const;
export type WorkflowStep = (typeof WORKFLOW_STEPS)[number];

export interface WorkflowProps {
  readonly functions: Record<WorkflowStep, lambda.IFunction>;
  readonly cluster: ecs.ICluster;
  readonly trainTask: ecs.TaskDefinition;
  readonly trainContainer: ecs.ContainerDefinition;
  readonly trainCapacityProvider: string;
  readonly trainSubnets: ec2.SubnetSelection;
  readonly trainSecurityGroup: ec2.ISecurityGroup;
  readonly logRetention: logs.RetentionDays;
  /** Fixed, so that the ARN can be known without a reference (see BoxloopStack). */
  readonly stateMachineName: string;
  /** Longest a training task may run. @default Duration.hours(6) */
  readonly trainTimeout?: Duration;
  /** Longest a whole run may take. @default Duration.hours(12) */
  readonly timeout?: Duration;
}

/** ECS errors that mean "no GPU capacity yet" rather than "the trainer failed". */
export const CAPACITY_ERRORS = ["ECS.AmazonECSException", "ECS.ServerException", "ECS.LimitExceededException"];

export class Workflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const step = (name: string, fn: WorkflowStep, resultPath: string) =>
      new tasks.LambdaInvoke(this, name, {
        stateName: name,
        lambdaFunction: props.functions[fn],
        payloadResponseOnly: true,
        resultPath,
      });

    const failed = new sfn.Fail(this, "Failed", { stateName: "Failed", error: "TrainingRunFailed" });
    const recordFailure = step("RecordFailure", "recordFailure", "$.recordFailure").next(failed);
    const catchInto = <T extends sfn.TaskStateBase>(task: T): T => {
      task.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: "$.error" });
      return task;
    };

    const snapshot = catchInto(step("Snapshot", "snapshot", "$.snapshot"));
    const train = catchInto(
      new tasks.EcsRunTask(this, "Train", {
        stateName: "Train",
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        cluster: props.cluster,
        taskDefinition: props.trainTask,
        launchTarget: new tasks.EcsEc2LaunchTarget({
          // Not LaunchType EC2: that would bypass the capacity provider that scales GPUs from zero.
          capacityProviderOptions: tasks.CapacityProviderOptions.custom([
            { capacityProvider: props.trainCapacityProvider, weight: 1 },
          ]),
        }),
        subnets: props.trainSubnets,
        securityGroups: [props.trainSecurityGroup],
        containerOverrides: [
          {
            containerDefinition: props.trainContainer,
            command: Token.asList(sfn.JsonPath.array("--job", sfn.JsonPath.stringAt("$.snapshot.manifest"))),
          },
        ],
        taskTimeout: sfn.Timeout.duration(props.trainTimeout ?? Duration.hours(6)),
        resultPath: "$.train",
      }),
    );
    train.addRetry({
      errors: CAPACITY_ERRORS,
      interval: Duration.seconds(60),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.minutes(15),
      jitterStrategy: sfn.JitterType.FULL,
    });
    const evaluate = catchInto(step("Evaluate", "evaluate", "$.evaluation"));
    const publish = catchInto(step("Publish", "publish", "$.publish"));
    const cleanUp = catchInto(step("CleanUp", "cleanup", "$.cleanup"));
    const done = new sfn.Succeed(this, "Done", { stateName: "Done" });
    const skipped = new sfn.Succeed(this, "Skipped", { stateName: "Skipped" });

    // Snapshot says "ready", or why not: "nothing-new", or "queued" behind the campaign's active run.
    const definition = snapshot.next(
      new sfn.Choice(this, "Ready?", { stateName: "Ready?" })
        .when(
          sfn.Condition.stringEquals("$.snapshot.status", "ready"),
          train
            .next(evaluate)
            .next(
              new sfn.Choice(this, "Gate", { stateName: "Gate" })
                .when(sfn.Condition.booleanEquals("$.evaluation.publish", true), publish.next(cleanUp))
                .otherwise(cleanUp),
            ),
        )
        .otherwise(skipped),
    );
    cleanUp.next(done);

    this.logGroup = new logs.LogGroup(this, "Logs", { retention: props.logRetention });
    this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: props.timeout ?? Duration.hours(12),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
  }
}
