/**
 * Test order for two workers: the Terraform oracle first, alone in its worker for its ~7 minutes
 * (it mostly waits on the provider's waiters and uses little CPU), while the other worker runs the
 * CPU-heavy system tests and everything else. The failover timings of keepalived.test.ts then run
 * beside a mostly idle Terraform, not beside the node-boot rehearsal's apt and dpkg.
 */
const Sequencer = require("@jest/test-sequencer").default;

const FIRST = [
  "system/terraform.test.ts",
  "system/boot.test.ts",
  "system/bootstrap.test.ts",
  "system/keepalived.test.ts",
  "system/etcd.test.ts",
  "aws-cdk/cloudformation.test.ts",
];
const rank = (path) => {
  const i = FIRST.findIndex((name) => path.endsWith(name));
  return i === -1 ? FIRST.length : i;
};

class ClusterTestSequencer extends Sequencer {
  sort(tests) {
    return [...tests].sort((a, b) => rank(a.path) - rank(b.path) || a.path.localeCompare(b.path));
  }
}

module.exports = ClusterTestSequencer;
