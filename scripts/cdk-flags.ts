/**
 * `npm run cdk-flags`: writes into cdk.json's context every feature flag the installed aws-cdk-lib
 * recommends (what `cdk init` gives a new app), keeping cdk.json's other context keys. Run it after
 * upgrading aws-cdk-lib; test/aws-cdk/app.test.ts fails until cdk.json has them all.
 */
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";

export const CDK_JSON = join(__dirname, "..", "..", "cdk.json");

/** The flags aws-cdk-lib recommends for a new app, from its own list. */
export function recommendedFeatureFlags(): Record<string, unknown> {
  return JSON.parse(readFileSync(require.resolve("aws-cdk-lib/recommended-feature-flags.json"), "utf8"));
}

if (require.main === module) {
  const cdkJson = JSON.parse(readFileSync(CDK_JSON, "utf8"));
  const flags = recommendedFeatureFlags();
  const others = Object.fromEntries(
    Object.entries(cdkJson.context ?? {}).filter(([key]) => !key.startsWith("@aws-cdk")),
  );
  cdkJson.context = { ...others, ...flags };
  writeFileSync(CDK_JSON, JSON.stringify(cdkJson, null, 2) + "\n");
  const { version } = JSON.parse(readFileSync(require.resolve("aws-cdk-lib/package.json"), "utf8"));
  console.log(`cdk.json: ${Object.keys(flags).length} feature flags of aws-cdk-lib ${version}`);
}
