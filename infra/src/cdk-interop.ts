// Under the repository's `exactOptionalPropertyTypes`, some CDK classes are not assignable to their own
// interfaces: a class declares `prop: T | undefined` where the interface says `prop?: T` (Bucket.isWebsite,
// Vpc.vpnGatewayId, Cluster.defaultCloudMapNamespace). The objects are the same; these give the view.
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import type * as ecs from "aws-cdk-lib/aws-ecs";
import type * as s3 from "aws-cdk-lib/aws-s3";

export const asIBucket = (bucket: s3.Bucket): s3.IBucket => bucket as unknown as s3.IBucket;
export const asIVpc = (vpc: ec2.Vpc): ec2.IVpc => vpc as unknown as ec2.IVpc;
export const asICluster = (cluster: ecs.Cluster): ecs.ICluster => cluster as unknown as ecs.ICluster;
