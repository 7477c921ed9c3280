#!/usr/bin/env node
// The AWS CDK default app that `cdk synth` / `cdk deploy` (and `npm run synth`, after the cdktf app) run.
import { buildCdkApp } from "./aws-cdk-app";
import { synthOrExplain } from "./settings";

synthOrExplain(() => buildCdkApp().app);
