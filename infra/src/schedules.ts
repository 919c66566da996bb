// Scheduled retraining with EventBridge Scheduler. The API creates one schedule per campaign at runtime
// (in `group`, with `role`); the stack itself creates one nightly schedule, disabled unless a campaign is set.
import { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as targets from "aws-cdk-lib/aws-scheduler-targets";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";

export interface SchedulesProps {
  readonly stateMachine: sfn.IStateMachine;
  /** Name of the schedule group the API creates campaign schedules in. */
  readonly groupName: string;
  /** @default "cron(0 3 * * ? *)" */
  readonly nightlyCron?: string;
  /** The campaign the nightly schedule retrains. The schedule exists but is disabled when unset. @default undefined */
  readonly nightlyCampaignId?: string | undefined;
}

export class Schedules extends Construct {
  public readonly group: scheduler.ScheduleGroup;
  /** The role every schedule assumes to start an execution of the state machine. */
  public readonly role: iam.Role;
  public readonly nightly: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    this.group = new scheduler.ScheduleGroup(this, "Group", { scheduleGroupName: props.groupName });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("scheduler.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": Stack.of(this).account } },
      }),
      description: "EventBridge Scheduler starts boxloop training runs",
    });
    props.stateMachine.grantStartExecution(this.role);
    this.nightly = new scheduler.Schedule(this, "Nightly", {
      scheduleGroup: this.group,
      description: "Nightly retraining of one campaign (set context nightlyCampaignId to enable)",
      schedule: scheduler.ScheduleExpression.expression(props.nightlyCron ?? "cron(0 3 * * ? *)"),
      enabled: props.nightlyCampaignId !== undefined,
      target: new targets.StepFunctionsStartExecution(props.stateMachine, {
        role: this.role,
        input: scheduler.ScheduleTargetInput.fromObject({
          campaignId: props.nightlyCampaignId ?? "unset",
          trigger: { kind: "schedule" },
        }),
        retryAttempts: 2,
      }),
    });
  }

  /** Lets the API create, update and delete campaign schedules in the group, passing the schedules' role. */
  grantManage(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          "scheduler:CreateSchedule",
          "scheduler:UpdateSchedule",
          "scheduler:DeleteSchedule",
          "scheduler:GetSchedule",
        ],
        resources: [
          stack.formatArn({
            service: "scheduler",
            resource: "schedule",
            resourceName: `${this.group.scheduleGroupName}/*`,
          }),
        ],
      }),
    );
    this.role.grantPassRole(grantee.grantPrincipal);
  }
}
