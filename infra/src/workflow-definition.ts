// The state machine definition as the local runner executes it: the DefinitionString of the synthesized
// template with its CloudFormation references replaced by stable local placeholders. Service integration
// ARNs (arn:aws:states:::ecs:runTask.sync) stay as they are; Lambda ARNs name the exported handler
// (arn:aws:lambda:local:000000000000:function:snapshot).
import { CfnElement, Stack } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import type { CfnStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import type { IConstruct } from "constructs";
import type { BoxloopStack } from "./boxloop-stack.ts";
import { WORKFLOW_STEPS } from "./workflow.ts";

export const LOCAL_ACCOUNT = "000000000000";
export const LOCAL_REGION = "local";

/** `arn:aws:lambda:local:000000000000:function:<step>`, the ARN a Lambda step has in the local definition. */
export function localFunctionArn(step: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${step}`;
}

const PSEUDO: Record<string, string> = {
  "AWS::Partition": "aws",
  "AWS::Region": LOCAL_REGION,
  "AWS::AccountId": LOCAL_ACCOUNT,
  "AWS::URLSuffix": "amazonaws.com",
};

/** Placeholders for the resources the definition refers to, keyed `LogicalId` (Ref) or `LogicalId.Attr` (GetAtt). */
export function localPlaceholders(stack: BoxloopStack): Map<string, string> {
  const id = (construct: IConstruct): string => {
    const child =
      construct.node.defaultChild ?? construct.node.children.find((c): c is CfnElement => c instanceof CfnElement);
    if (!child) throw new Error(`${construct.node.path} has no CloudFormation resource`);
    return stack.resolve((child as unknown as { logicalId: string }).logicalId) as string;
  };
  const placeholders = new Map<string, string>();
  for (const step of WORKFLOW_STEPS)
    placeholders.set(`${id(stack.workflowFunctions[step])}.Arn`, localFunctionArn(step));
  placeholders.set(`${id(stack.cluster)}.Arn`, `arn:aws:ecs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster/boxloop`);
  placeholders.set(`${id(stack.training.securityGroup)}.GroupId`, "sg-local-training");
  placeholders.set(id(stack.training.capacityProvider), "boxloop-gpu");
  stack.network.vpc.privateSubnets.forEach((subnet: ec2.ISubnet, i) => {
    placeholders.set(id(subnet), `subnet-local-${i + 1}`);
  });
  return placeholders;
}

/** Replaces each Ref / Fn::GetAtt in a DefinitionString (a string or an Fn::Join) by its placeholder. */
export function resolveDefinition(definition: unknown, placeholders: Map<string, string>): string {
  if (typeof definition === "string") return definition;
  const join = (definition as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  if (!join) throw new Error(`unexpected DefinitionString: ${JSON.stringify(definition).slice(0, 200)}`);
  const [separator, parts] = join;
  return parts
    .map((part) => {
      if (typeof part === "string") return part;
      const ref = (part as { Ref?: string }).Ref;
      const getAtt = (part as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"];
      const key = ref ?? (getAtt ? `${getAtt[0]}.${getAtt[1]}` : undefined);
      const value = key === undefined ? undefined : (PSEUDO[key] ?? placeholders.get(key));
      if (value === undefined) throw new Error(`no local placeholder for ${JSON.stringify(part)} in the definition`);
      return value;
    })
    .join(separator);
}

/** The local definition, parsed, from a synthesized template of `stack`. */
export function localDefinition(stack: BoxloopStack, template: { Resources: Record<string, unknown> }): unknown {
  const cfn = stack.workflow.stateMachine.node.defaultChild as CfnStateMachine;
  const logicalId = Stack.of(cfn).resolve(cfn.logicalId) as string;
  const resource = template.Resources[logicalId] as { Properties: { DefinitionString: unknown } } | undefined;
  if (!resource) throw new Error(`state machine ${logicalId} is not in the template`);
  return JSON.parse(resolveDefinition(resource.Properties.DefinitionString, localPlaceholders(stack)));
}

/** The file's text: two-space JSON and a final newline, so the committed file diffs cleanly. */
export function formatDefinition(definition: unknown): string {
  return `${JSON.stringify(definition, null, 2)}\n`;
}
