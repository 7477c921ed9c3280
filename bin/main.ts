#!/usr/bin/env node
// The default app that `cdktf synth` / `cdktf deploy` (and `npm run synth`) run.
import { buildApp } from "./app";
import { synthOrExplain } from "./settings";

synthOrExplain(() => buildApp().app);
