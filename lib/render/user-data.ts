import { createHash } from "crypto";
import { gzipSync } from "zlib";

/** EC2's limit on an instance's user data, in bytes before base64 (here: the gzipped document). */
export const EC2_USER_DATA_LIMIT = 16384;
/** The longest value of a standard SSM parameter; an advanced one takes DEPLOY_SETTINGS_LIMIT. */
export const STANDARD_PARAMETER_LIMIT = 4096;
export const DEPLOY_SETTINGS_LIMIT = 8192;

/** A node's user data, or the cluster's deploy settings, would not fit its AWS limit. */
export class UserDataTooLargeError extends Error {
  constructor(
    /** The node (its name) or "the deploy settings". */
    readonly what: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      what === DEPLOY_SETTINGS
        ? `The deploy settings would be up to ${bytes} bytes, over an SSM parameter's limit of ${limit} (nothing was synthesized): give fewer endpoint.routeTableIds.`
        : `${what}'s user data would be ${bytes} bytes gzipped, over EC2's limit of ${limit} (nothing was synthesized): ` +
            'shorten what grows it (extraCertSans, endpoint.dnsName, tags) or use fewer keepalived peers (endpoint.placement: "dedicated" runs two).',
    );
    this.name = "UserDataTooLargeError";
  }
}
const DEPLOY_SETTINGS = "deploy settings";

/**
 * The value of an instance's user data (base64): the document gzipped here, at synth, so that every
 * framework ships the same bytes and none needs a gzip function of its own (CloudFormation has none).
 * The document holds no deploy-time value (those are in the deploy settings), so its size is exact.
 */
export function encodeUserData(document: string, nodeName: string): string {
  const gzipped = gzipSync(Buffer.from(document, "utf8"), { level: 9 });
  if (gzipped.length > EC2_USER_DATA_LIMIT)
    throw new UserDataTooLargeError(nodeName, gzipped.length, EC2_USER_DATA_LIMIT);
  return gzipped.toString("base64");
}

/** A stand-in as long as the longest deploy-time value (an ARN of a secret with its suffix). */
function longestValue(reference: string): string {
  const digest = (n: number) => createHash("sha256").update(`${reference}#${n}`).digest("hex");
  return (digest(0) + digest(1) + digest(2)).slice(0, 160);
}

/**
 * The deploy settings' longest size, every deploy-time value in them (`deployTimeValue` matches the
 * framework's tokens) counted at 160 characters; fails past what any parameter holds.
 */
export function checkDeploySettingsSize(text: string, deployTimeValue: RegExp): number {
  const pattern = new RegExp(deployTimeValue.source, "g");
  const bytes = Buffer.byteLength(
    text.replace(pattern, (reference) => longestValue(reference)),
    "utf8",
  );
  if (bytes > DEPLOY_SETTINGS_LIMIT) throw new UserDataTooLargeError(DEPLOY_SETTINGS, bytes, DEPLOY_SETTINGS_LIMIT);
  return bytes;
}
