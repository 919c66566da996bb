// The training workflow's Lambda steps (Snapshot, Evaluate, Publish, CleanUp, RecordFailure).
// Each receives the whole state machine state and returns its own result (ResultPath `$.<step>`).
// Being written for the loop issue (#8); CDK bundles this file.
type Handler = (state: Record<string, unknown>) => Promise<Record<string, unknown>>;

const notYet: Handler = async () => {
  throw new Error("workflow step not built yet");
};

export const snapshot: Handler = notYet;
export const evaluate: Handler = notYet;
export const publish: Handler = notYet;
export const cleanup: Handler = notYet;
export const recordFailure: Handler = notYet;
