// Starts executions of the training state machine in AWS. The run id names the execution, so a
// repeated start of the same run is refused by Step Functions instead of training twice.
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { WorkflowStarter } from "./context.ts";

export function sfnStarter(stateMachineArn: string, client = new SFNClient({})): WorkflowStarter {
  return {
    async start(input) {
      try {
        const out = await client.send(
          new StartExecutionCommand({
            stateMachineArn,
            input: JSON.stringify(input),
            ...(input.runId ? { name: input.runId } : {}),
          }),
        );
        return { executionId: out.executionArn! };
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists && input.runId)
          return { executionId: `${stateMachineArn}:${input.runId}` };
        throw error;
      }
    },
  };
}
