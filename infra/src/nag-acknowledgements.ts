// Every cdk-nag AwsSolutions finding boxloop accepts, with the reason. Keep this list short (< 10): fix a
// finding rather than acknowledge it whenever the fix costs the design nothing.
//
// cdk-nag v3 matches an acknowledgement by exact id, and IAM4/IAM5 report one id per finding
// (`AwsSolutions-IAM5[Resource::<Bucket.Arn>/*]`). An entry with `findings` therefore names the findings it
// covers by a pattern (as cdk-nag v2's `appliesTo` regexes did), and each matching finding is
// acknowledged on the resource that has it; a finding no pattern matches still fails the synth.
import { CfnResource, Validations } from "aws-cdk-lib";
import { rules } from "cdk-nag";
import type { Construct, IConstruct } from "constructs";

export interface NagAcknowledgement {
  readonly id: string;
  readonly reason: string;
  /** For rules with per-finding ids: the findings covered. */
  readonly findings?: { readonly check: (node: CfnResource) => unknown; readonly pattern: RegExp };
}

const iam4 = { check: rules.iam.IAMNoManagedPolicies as (node: CfnResource) => unknown };
const iam5 = { check: rules.iam.IAMNoWildcardPermissions as (node: CfnResource) => unknown };

export const NAG_ACKNOWLEDGEMENTS: readonly NagAcknowledgement[] = [
  {
    id: "AwsSolutions-IAM4",
    reason:
      "Only AWSLambdaBasicExecutionRole and AWSLambdaVPCAccessExecutionRole, the minimal AWS-maintained policies for " +
      "a Lambda's logs and VPC network interfaces; copying them inline would only freeze them.",
    findings: {
      ...iam4,
      pattern: /^Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AWSLambda(Basic|VPCAccess)ExecutionRole$/,
    },
  },
  {
    id: "AwsSolutions-IAM5",
    reason:
      "Wildcards inside boxloop's own resources only: object keys in its buckets (and the CDK asset bucket the web " +
      "deployment reads), versions of its own functions, revisions of its own task definition, executions of its " +
      "own state machine, schedules in its own group, and the action families CDK grants on them (s3:GetObject*, ...).",
    findings: { ...iam5, pattern: /^(Action::(s3:[A-Za-z]+\*|ecs:Submit\*)|Resource::(?!\*$).*\*.*)$/ },
  },
  {
    id: "AwsSolutions-IAM5",
    reason:
      "Resource '*' only for actions that have no resource-level permissions: the ECS agent's (DiscoverPollEndpoint, " +
      "ecr:GetAuthorizationToken), X-Ray trace upload, CloudWatch Logs delivery for Step Functions, and ENI handling.",
    findings: { ...iam5, pattern: /^Resource::\*$/ },
  },
  {
    id: "AwsSolutions-L1",
    reason:
      "DESIGN.md pins Node 22 (nodejs22.x), the version the code is tested on; CDK's own deployment helper functions " +
      "are not ours to change.",
  },
  {
    id: "AwsSolutions-ECS2",
    reason:
      "The only environment variable is AWS_REGION, which CDK adds to EC2 tasks in awsvpc mode; everything else " +
      "reaches the containers as command arguments, and no secret is passed at all.",
  },
  {
    id: "AwsSolutions-COG8",
    reason:
      "The Plus feature plan (threat protection) is billed per monthly active user; annotator pools are small and " +
      "closed (no self sign-up, MFA required). Enable it with the user pool's featurePlan where the budget allows.",
  },
  {
    id: "AwsSolutions-CFR4",
    reason:
      "Without a custom domain CloudFront uses its default *.cloudfront.net certificate, whose minimum protocol " +
      "cannot be raised; a deployment with its own domain adds a certificate with the TLSv1.2_2021 policy.",
  },
  {
    id: "AwsSolutions-CFR1",
    reason: "Annotators work from anywhere; everything but the static web files needs a Cognito token.",
  },
  {
    id: "AwsSolutions-CFR2",
    reason:
      "The API is behind Cognito JWT authorization and stage throttling; a WAF web ACL (billed per rule and request) " +
      "is an option for public deployments, not a default.",
  },
];

/** Applies NAG_ACKNOWLEDGEMENTS to `stack`. Call it once the stack's constructs are all created. */
export function acknowledgeNagFindings(stack: Construct): void {
  const resources = stack.node.findAll().filter((node): node is CfnResource => node instanceof CfnResource);
  for (const { id, reason, findings } of NAG_ACKNOWLEDGEMENTS) {
    if (!findings) {
      Validations.of(stack).acknowledge({ id, reason });
      continue;
    }
    for (const resource of resources) {
      for (const finding of findingsOf(findings.check, resource)) {
        if (findings.pattern.test(finding)) acknowledgeOn(resource, `${id}[${finding}]`, reason);
      }
    }
  }
}

function findingsOf(check: (node: CfnResource) => unknown, resource: CfnResource): string[] {
  try {
    const result = check(resource);
    return Array.isArray(result) ? result.map(String) : [];
  } catch {
    return []; // cdk-nag reports a rule that cannot evaluate a resource itself.
  }
}

function acknowledgeOn(resource: IConstruct, id: string, reason: string): void {
  Validations.of(resource).acknowledge({ id, reason });
}
