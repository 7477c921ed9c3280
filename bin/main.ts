#!/usr/bin/env node
// The default app that `cdktf synth` / `cdktf deploy` (and `npm run synth`) run.
import { ClusterSpecError } from "../lib/spec";
import { buildApp } from "./app";

try {
  const { app } = buildApp();
  app.synth();
} catch (error) {
  if (error instanceof ClusterSpecError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
