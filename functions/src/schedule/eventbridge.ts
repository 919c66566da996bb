// Campaign schedules in AWS: one EventBridge Scheduler schedule per campaign (named after it, in
// the stack's group), starting the training state machine with `{campaignId, trigger: schedule}`.
// Setting a campaign's schedule creates or updates it; clearing it deletes it. Locally the
// in-process scheduler reads the same `schedule` field instead (local/src/scheduler/).
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
} from "@aws-sdk/client-scheduler";
import { parseSchedule } from "./cron.ts";

export interface CampaignSchedules {
  /** Makes the campaign's schedule exist as `schedule` says (null: none). */
  sync(campaign: { id: string; schedule: string | null }): Promise<void>;
}

export interface EventBridgeSchedulesOptions {
  group: string;
  stateMachineArn: string;
  /** The role the schedules assume to start executions. */
  roleArn: string;
  client?: SchedulerClient;
}

export function eventBridgeSchedules(options: EventBridgeSchedulesOptions): CampaignSchedules {
  const client = options.client ?? new SchedulerClient({});
  return {
    async sync(campaign) {
      const name = `campaign-${campaign.id}`.slice(0, 64);
      if (campaign.schedule === null) {
        try {
          await client.send(new DeleteScheduleCommand({ Name: name, GroupName: options.group }));
        } catch (error) {
          if (!(error instanceof ResourceNotFoundException)) throw error;
        }
        return;
      }
      parseSchedule(campaign.schedule);
      const schedule = {
        Name: name,
        GroupName: options.group,
        ScheduleExpression: campaign.schedule,
        ScheduleExpressionTimezone: "UTC",
        FlexibleTimeWindow: { Mode: "OFF" as const },
        Target: {
          Arn: options.stateMachineArn,
          RoleArn: options.roleArn,
          Input: JSON.stringify({ campaignId: campaign.id, trigger: { kind: "schedule" } }),
        },
      };
      try {
        await client.send(new CreateScheduleCommand(schedule));
      } catch (error) {
        if (!(error instanceof ConflictException)) throw error;
        await client.send(new UpdateScheduleCommand(schedule));
      }
    },
  };
}
