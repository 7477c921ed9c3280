#!/usr/bin/env node
// The default app that `cdktf synth` / `cdktf deploy` (and `npm run synth`) run.
import { UserDataTooLargeError } from "../lib";
import { ClusterSpecError } from "../lib/spec";
import { buildApp, SettingsError } from "./app";

try {
  const { app } = buildApp();
  app.synth();
} catch (error) {
  if (error instanceof ClusterSpecError || error instanceof SettingsError || error instanceof UserDataTooLargeError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
