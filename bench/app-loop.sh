#!/usr/bin/env bash
# The default apps' edit-synth loop, before and after, side by side in one run. Each round touches a
# file of lib/ (as an edit does) and times what `cdktf synth` and `cdk synth` run before the app:
# before, the package's tsc build (`npm run build`, every declaration file of the frameworks read
# again); now, scripts/app-build.js (swc, file by file, into .app/). Then the apps themselves.
# Prints medians of ROUNDS (default 5). Run from the project root: bash bench/app-loop.sh
set -euo pipefail
rounds=${ROUNDS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seconds() {
  local start=$EPOCHREALTIME
  "$@" >/dev/null
  awk -v end="$EPOCHREALTIME" -v start="$start" 'BEGIN { print end - start }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A times
for _ in $(seq "$rounds"); do
  touch lib/cluster-spec/names.ts
  times[tsc]+="$(seconds npx tsc -p tsconfig.build.json --outDir "$work/dist")"$'\n'
  touch lib/cluster-spec/names.ts
  times[swc]+="$(seconds node scripts/app-build.js)"$'\n'
  times[cdktf]+="$(seconds node .app/bin/main.js)"$'\n'
  times[awscdk]+="$(seconds node .app/bin/aws-cdk-main.js)"$'\n'
done
tsc=$(median <<<"${times[tsc]}")
swc=$(median <<<"${times[swc]}")
cdktf=$(median <<<"${times[cdktf]}")
awscdk=$(median <<<"${times[awscdk]}")
row() { printf '%-50s %8s %8s\n' "$@"; }
row "seconds, median of $rounds" before now
row "build before the app (tsc / scripts/app-build.js)" "$tsc" "$swc"
row "cdktf default app" "$cdktf" "$cdktf"
row "AWS CDK default app" "$awscdk" "$awscdk"
row "cdktf: edit, then synth" "$(awk -v a="$tsc" -v b="$cdktf" 'BEGIN { printf "%.2f", a + b }')" "$(awk -v a="$swc" -v b="$cdktf" 'BEGIN { printf "%.2f", a + b }')"
row "AWS CDK: edit, then synth" "$(awk -v a="$tsc" -v b="$awscdk" 'BEGIN { printf "%.2f", a + b }')" "$(awk -v a="$swc" -v b="$awscdk" 'BEGIN { printf "%.2f", a + b }')"
