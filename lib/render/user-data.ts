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
 * The marks a framework's unresolved value leaves in text: cdktf's and AWS CDK's string and list tokens
 * (`${TfToken[...]}`, `#{Token[...]}`) and their number tokens (doubles near -1.888e+289). The spec
 * refuses a token wherever a value reaches the user data; this is the last line of defence.
 */
const UNRESOLVED_MARK = /[$#]\{(Tf)?Token\[|-1\.888\d*e\+289/;

/** A deploy-time value reached a node's user data, where nothing can resolve it: a defect, never shipped. */
export class DeployTimeValueInUserDataError extends Error {
  constructor(nodeName: string, line: string) {
    super(
      `${nodeName}'s user data holds a deploy-time value (a token) that no framework can resolve there (nothing was synthesized): ${line.trim().slice(0, 200)}`,
    );
    this.name = "DeployTimeValueInUserDataError";
  }
}

/**
 * The value of an instance's user data (base64): the document gzipped here, at synth, so that every
 * framework ships the same bytes and none needs a gzip function of its own (CloudFormation has none).
 * The document holds no deploy-time value (those are in the deploy settings), so its size is exact.
 */
export function encodeUserData(document: string, nodeName: string): string {
  const unresolved = document.split("\n").find((line) => UNRESOLVED_MARK.test(line));
  if (unresolved !== undefined) throw new DeployTimeValueInUserDataError(nodeName, unresolved);
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
