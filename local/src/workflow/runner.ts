// The local twin of Step Functions: runs the very definition CDK synthesizes
// (state-machine.asl.json, written by infra/bin/export-workflow.ts) with aws-local-stepfunctions.
// The Lambda states call the same step functions as in AWS; the ECS Train state runs the trainer as
// a child process with the container's command. Executions run in the background; `idle()` waits.
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { WorkflowContext, WorkflowStarter } from "@boxloop/functions/workflow/context";
import { type WorkflowState, workflowSteps } from "@boxloop/functions/workflow/steps";
import { StateMachine } from "aws-local-stepfunctions";

type JSONValue = Parameters<StateMachine["run"]>[0];

export const definitionPath = join(import.meta.dirname, "state-machine.asl.json");
const trainerMain = join(import.meta.dirname, "..", "..", "..", "training-image", "src", "main.ts");

export interface Execution {
  id: string;
  input: WorkflowState;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";
  startedAt: Date;
  stoppedAt?: Date;
  output?: unknown;
  error?: string;
}

export interface LocalWorkflowOptions {
  /** Everything but the starter, which is the runner itself. */
  context: Omit<WorkflowContext, "starter">;
  /** Where trainer logs go: `<logDir>/<runId>.log`. */
  logDir: string;
  /** The trainer's command line before `--job URI`. @default node --import tsx training-image/src/main.ts */
  trainerCommand?: string[];
  /** Extra environment for the trainer. */
  trainerEnv?: Record<string, string>;
  definition?: object;
  onEvent?: (line: string) => void;
}

export interface LocalWorkflow extends WorkflowStarter {
  executions(): Execution[];
  /** Resolves when no execution is running (including ones started meanwhile). */
  idle(): Promise<void>;
  /** Aborts running executions and kills their trainers. */
  stop(): Promise<void>;
}

/** The manifest URI from the Train state's ECS RunTask parameters (its container command `--job URI`). */
export function jobFromRunTask(parameters: unknown): string {
  const overrides = (parameters as { Overrides?: { ContainerOverrides?: { Command?: string[] }[] } }).Overrides;
  for (const container of overrides?.ContainerOverrides ?? []) {
    const at = container.Command?.indexOf("--job") ?? -1;
    if (at >= 0 && container.Command![at + 1]) return container.Command![at + 1]!;
  }
  throw new Error("the Train task's parameters carry no `--job <manifest>` container command");
}

// The local handlers take and return plain JSON; the steps are typed.
// biome-ignore lint/suspicious/noExplicitAny: adapter between typed steps and the JSON handler type
const local = (step: (state: any) => Promise<unknown>) => step as unknown as (input: JSONValue) => Promise<JSONValue>;

export function localWorkflow(options: LocalWorkflowOptions): LocalWorkflow {
  const definition = options.definition ?? JSON.parse(readFileSync(definitionPath, "utf8"));
  const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
  const executions = new Map<string, Execution>();
  const running = new Set<Promise<unknown>>();
  const aborts = new Set<() => void>();
  const children = new Set<ReturnType<typeof spawn>>();
  mkdirSync(options.logDir, { recursive: true });
  let counter = 0;

  const train = async (parameters: unknown, runId: string) => {
    // The trainer is another process reading the snapshot's files: they must be on disk first.
    await options.context.data.flushed?.();
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const job = jobFromRunTask(parameters);
      const [command, ...args] = options.trainerCommand ?? [process.execPath, "--import", "tsx", trainerMain];
      const log = createWriteStream(join(options.logDir, `${runId}.log`), { flags: "a" });
      const child = spawn(command!, [...args, "--job", job], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, ...options.trainerEnv },
      });
      children.add(child);
      let tail = "";
      child.stdout.pipe(log, { end: false });
      child.stderr.on("data", (chunk: Buffer) => {
        log.write(chunk);
        tail = (tail + chunk.toString()).slice(-2000);
      });
      child.on("error", reject);
      child.on("close", (code, signal) => {
        children.delete(child);
        log.end();
        if (code === 0) resolve({ ExitCode: 0 });
        else {
          const reason = tail.trim().split("\n").slice(-5).join("\n");
          const error = new Error(`trainer exited with ${signal ?? `code ${code}`}${reason ? `: ${reason}` : ""}`);
          error.name = "States.TaskFailed";
          reject(error);
        }
      });
    });
  };

  const starter: WorkflowStarter = {
    async start(input) {
      const id = `${input.runId ?? "execution"}-${Date.now()}-${++counter}`;
      const execution: Execution = { id, input, status: "RUNNING", startedAt: new Date() };
      executions.set(id, execution);
      const run = machine.run(input as unknown as JSONValue, {
        overrides: {
          taskResourceLocalHandlers: {
            Snapshot: local(steps.snapshot),
            Train: local((parameters: unknown) => train(parameters, input.runId ?? id)),
            Evaluate: local(steps.evaluate),
            Publish: local(steps.publish),
            CleanUp: local(steps.cleanup),
            RecordFailure: local(steps.recordFailure),
          },
          retryIntervalOverrides: { Train: 0 },
        },
        noThrowOnAbort: true,
      });
      aborts.add(run.abort);
      options.onEvent?.(`workflow ${id}: started`);
      const done = run.result.then(
        (output) => {
          execution.status = output === null ? "ABORTED" : "SUCCEEDED";
          execution.output = output;
        },
        (error: Error) => {
          execution.status = "FAILED";
          execution.error = `${error.name}: ${error.message}`;
        },
      );
      const tracked = done.finally(() => {
        execution.stoppedAt = new Date();
        aborts.delete(run.abort);
        running.delete(tracked);
        options.onEvent?.(`workflow ${id}: ${execution.status}${execution.error ? ` (${execution.error})` : ""}`);
      });
      running.add(tracked);
      return { executionId: id };
    },
  };
  const steps = workflowSteps({ ...options.context, starter });

  return {
    ...starter,
    executions: () => [...executions.values()],
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    async stop() {
      for (const abort of aborts) abort();
      for (const child of children) child.kill("SIGTERM");
      await Promise.allSettled([...running]);
    },
  };
}
