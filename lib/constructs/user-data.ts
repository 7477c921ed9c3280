import { Fn, Token } from "cdktf";

const TOKEN_IN_STRING = /(\$\{TfToken\[[^\]]+\]\})/;

/**
 * The value for an instance's `user_data_base64`: the document gzipped and base64-encoded by
 * Terraform (`base64gzip`), after the deploy-time values inside it are filled in. Compression keeps
 * a readable cloud-config of ~25 KB under EC2's 16 KB user-data limit; cloud-init unzips it.
 */
export function compressedUserData(document: string): string {
  const parts = document
    .split(TOKEN_IN_STRING)
    .filter((part) => part !== "")
    // rawString escapes quotes, newlines and "${" but not backslashes or "%{": do those first.
    .map((part) => (Token.isUnresolved(part) ? part : Fn.rawString(part.replace(/\\/g, "\\\\").replace(/%\{/g, "%%{"))));
  return Fn.base64gzip(Fn.join("", parts));
}
