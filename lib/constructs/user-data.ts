import { Fn, Token } from "cdktf";
import { EC2_USER_DATA_LIMIT, worstCaseUserDataBytes } from "../render";

const TOKEN_IN_STRING = /(\$\{TfToken\[[^\]]+\]\})/;

/** A node's user data would not fit EC2's limit even with the longest deploy-time values. */
export class UserDataTooLargeError extends Error {
  constructor(
    readonly nodeName: string,
    readonly bytes: number,
  ) {
    super(
      `${nodeName}'s user data would be about ${bytes} bytes gzipped, over EC2's limit of ${EC2_USER_DATA_LIMIT} (nothing was synthesized): ` +
        'shorten what grows it (extraCertSans, endpoint.dnsName, tags, endpoint.routeTableIds) or use fewer keepalived peers (endpoint.placement: "dedicated" runs two).',
    );
    this.name = "UserDataTooLargeError";
  }
}

/**
 * The value for an instance's `user_data_base64`: the document gzipped and base64-encoded by
 * Terraform (`base64gzip`), after the deploy-time values inside it are filled in. Compression keeps
 * a readable cloud-config of ~25 KB under EC2's 16 KB user-data limit; cloud-init unzips it. Measured
 * here first, with the longest values a deploy gives, so a plan that EC2 would refuse fails at synth.
 */
export function compressedUserData(document: string, nodeName: string): string {
  const bytes = worstCaseUserDataBytes(document, new RegExp(TOKEN_IN_STRING.source, "g"));
  if (bytes > EC2_USER_DATA_LIMIT) throw new UserDataTooLargeError(nodeName, bytes);
  const parts = document
    .split(TOKEN_IN_STRING)
    .filter((part) => part !== "")
    // rawString escapes quotes, newlines and "${" but not backslashes or "%{": do those first.
    .map((part) =>
      Token.isUnresolved(part) ? part : Fn.rawString(part.replace(/\\/g, "\\\\").replace(/%\{/g, "%%{")),
    );
  return Fn.base64gzip(Fn.join("", parts));
}
