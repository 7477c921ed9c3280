import { createHash } from "crypto";
import { gzipSync } from "zlib";

/** EC2's limit on an instance's user data, in bytes before base64 (here: the gzipped document). */
export const EC2_USER_DATA_LIMIT = 16384;

/** A stand-in as long as the longest deploy-time value (an ARN of a secret with its suffix), and as incompressible. */
function longestValue(reference: string): string {
  const digest = (n: number) => createHash("sha256").update(`${reference}#${n}`).digest("hex");
  return (digest(0) + digest(1) + digest(2)).slice(0, 160);
}

/**
 * The size EC2 will see: the document with every deploy-time value (`deployTimeValue` matches them)
 * replaced by a 160-character stand-in, gzipped, plus 3%: Go's gzip, which Terraform's base64gzip
 * uses, comes out up to about 2% larger than zlib's at the same level.
 */
export function worstCaseUserDataBytes(document: string, deployTimeValue: RegExp): number {
  const filled = document.replace(deployTimeValue, (reference) => longestValue(reference));
  return Math.ceil(gzipSync(Buffer.from(filled, "utf8"), { level: 6 }).length * 1.03);
}
