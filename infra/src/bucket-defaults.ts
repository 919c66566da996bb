// Bucket settings every boxloop bucket shares: encrypted, versioned, TLS-only, never public.
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as s3 from "aws-cdk-lib/aws-s3";

/** Properties of a private, encrypted, versioned, TLS-only bucket that logs its access to `logs`. */
export function secureBucketProps(logs: s3.IBucket | undefined, logPrefix: string): s3.BucketProps {
  return {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: RemovalPolicy.RETAIN,
    ...(logs ? { serverAccessLogsBucket: logs, serverAccessLogsPrefix: logPrefix } : {}),
  };
}

/** Noncurrent versions and unfinished multipart uploads expire after `days`. */
export function noncurrentExpiry(days: number): s3.LifecycleRule {
  return {
    id: "noncurrent-versions",
    noncurrentVersionExpiration: Duration.days(days),
    abortIncompleteMultipartUploadAfter: Duration.days(1),
  };
}

/** Training snapshots (`campaigns/<cid>/runs/…`) are rebuilt on every run, so old ones expire. */
export function snapshotExpiry(days: number): s3.LifecycleRule {
  return {
    id: "old-snapshots",
    prefix: "campaigns/",
    tagFilters: { "boxloop:kind": "snapshot" },
    expiration: Duration.days(days),
  };
}
