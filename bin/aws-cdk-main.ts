#!/usr/bin/env node
// The AWS CDK default app that `cdk synth` / `cdk deploy` (and `npm run synth`, after the cdktf app) run.
import { UserDataTooLargeError } from "../lib";
import { ClusterSpecError } from "../lib/spec";
import { buildCdkApp } from "./aws-cdk-app";
import { SettingsError } from "./settings";

try {
  const { app } = buildCdkApp();
  app.synth();
} catch (error) {
  if (error instanceof ClusterSpecError || error instanceof SettingsError || error instanceof UserDataTooLargeError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
