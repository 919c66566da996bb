// Campaign schedules against moto's EventBridge Scheduler: created with the state machine as target
// and the campaign in the input, updated in place, deleted when cleared.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CreateScheduleGroupCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
} from "@aws-sdk/client-scheduler";
import { eventBridgeSchedules } from "@boxloop/functions/schedule/eventbridge";
import { startMoto } from "../support/moto.ts";

test("a campaign's schedule becomes an EventBridge Scheduler schedule targeting the workflow", async () => {
  const moto = await startMoto();
  try {
    const client = new SchedulerClient({
      endpoint: moto.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    await client.send(new CreateScheduleGroupCommand({ Name: "boxloop-test" }));
    const stateMachineArn = "arn:aws:states:us-east-1:123456789012:stateMachine:boxloop-training";
    const schedules = eventBridgeSchedules({
      client,
      group: "boxloop-test",
      stateMachineArn,
      roleArn: "arn:aws:iam::123456789012:role/scheduler",
    });
    const get = () => client.send(new GetScheduleCommand({ Name: "campaign-c1", GroupName: "boxloop-test" }));

    await schedules.sync({ id: "c1", schedule: "cron(0 3 * * ? *)" });
    let s = await get();
    assert.equal(s.ScheduleExpression, "cron(0 3 * * ? *)");
    assert.equal(s.Target?.Arn, stateMachineArn);
    assert.deepEqual(JSON.parse(s.Target!.Input!), { campaignId: "c1", trigger: { kind: "schedule" } });

    await schedules.sync({ id: "c1", schedule: "rate(6 hours)" });
    s = await get();
    assert.equal(s.ScheduleExpression, "rate(6 hours)");

    await schedules.sync({ id: "c1", schedule: null });
    await assert.rejects(get(), (e) => e instanceof ResourceNotFoundException);
    await schedules.sync({ id: "c1", schedule: null });
    await assert.rejects(schedules.sync({ id: "c1", schedule: "cron(0 3 * * *)" }), /6 fields/);
  } finally {
    moto.close();
  }
});
