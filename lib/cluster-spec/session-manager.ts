/** The account's Session Manager preferences that need the nodes' permission (KMS session encryption, session logs). */
import { KMS_KEY_ARN, Literal, Problem } from "./rules";
import { SessionManagerInput, SessionManagerSpec } from "./types";

// docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (no dots: they break TLS to the bucket).
const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
// docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const S3_KEY_PREFIX = /^[A-Za-z0-9!_.*'()/-]*$/;

export function resolveSessionManager(
  input: SessionManagerInput | undefined,
  literal: Literal,
  problem: Problem,
): SessionManagerSpec {
  const { kmsKeyArn, s3BucketName, cloudWatchLogGroupName } = input ?? {};
  const s3KeyPrefix = input?.s3KeyPrefix ?? "";
  if (literal(kmsKeyArn) && !KMS_KEY_ARN.test(kmsKeyArn))
    problem(
      "sessionManager.kmsKeyArn",
      `"${kmsKeyArn}" is not a KMS key ARN such as "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" (the key of your Session Manager preferences, by ARN).`,
    );
  if (literal(s3BucketName) && !S3_BUCKET_NAME.test(s3BucketName))
    problem(
      "sessionManager.s3BucketName",
      `"${s3BucketName}" is not an S3 bucket name (3 to 63 lower-case letters, digits and hyphens): give the bucket's name, not its ARN or URL.`,
    );
  if (input?.s3KeyPrefix !== undefined && s3BucketName === undefined)
    problem(
      "sessionManager.s3KeyPrefix",
      "is set without sessionManager.s3BucketName: name the bucket it is a prefix in.",
    );
  if (literal(s3KeyPrefix) && (!S3_KEY_PREFIX.test(s3KeyPrefix) || s3KeyPrefix.startsWith("/")))
    problem(
      "sessionManager.s3KeyPrefix",
      `"${s3KeyPrefix}" is not an S3 key prefix such as "session-logs/" (letters, digits and !_.*'()/-, not starting with /).`,
    );
  if (literal(cloudWatchLogGroupName) && !LOG_GROUP_NAME.test(cloudWatchLogGroupName))
    problem(
      "sessionManager.cloudWatchLogGroupName",
      `"${cloudWatchLogGroupName}" is not a CloudWatch Logs log group name (1 to 512 of letters, digits and ._-/#): give its name, not its ARN.`,
    );
  return { kmsKeyArn, s3BucketName, s3KeyPrefix, cloudWatchLogGroupName };
}
