// One VPC: public subnets for the NAT gateway, private subnets for Lambdas, GPU instances and TF Serving.
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { asIVpc } from "./cdk-interop.ts";

export interface NetworkProps {
  /** @default 2 */
  readonly maxAzs?: number;
  /** One NAT gateway keeps the idle cost low; raise it for AZ-independent egress. @default 1 */
  readonly natGateways?: number;
  readonly logRetention: logs.RetentionDays;
}

export class Network extends Construct {
  public readonly vpc: ec2.IVpc;
  public readonly flowLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.vpc = asIVpc(
      new ec2.Vpc(this, "Vpc", {
        maxAzs: props.maxAzs ?? 2,
        natGateways: props.natGateways ?? 1,
        subnetConfiguration: [
          { name: "Public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          { name: "Private", subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        ],
        // S3 traffic (snapshots, checkpoints, model sync) stays off the NAT gateway.
        gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      }),
    );
    this.flowLogs = new logs.LogGroup(this, "FlowLogs", { retention: props.logRetention });
    this.vpc.addFlowLog("FlowLog", { destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogs) });
  }
}
