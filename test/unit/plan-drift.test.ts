/** The second plan's reader (test/system/terraform-lab.ts): moto's quirks are set apart, nothing else is. */
import { planDrift } from "../system/terraform-lab";

const change = (type: string, actions: string[], before: object, after: object) => ({
  address: `${type}.x`,
  type,
  change: { actions, before, after, after_unknown: {} },
});

describe("planDrift", () => {
  test("a replacement caused only by a quirk is counted as moto's, not as drift", () => {
    const drift = planDrift({
      resource_changes: [
        change(
          "aws_ec2_subnet_cidr_reservation",
          ["delete", "create"],
          { cidr_block: "10.0.1.10/32", description: "" },
          { cidr_block: "10.0.1.10/32", description: "cp-0" },
        ),
      ],
    });
    expect(drift.changes).toEqual([]);
    expect(Object.values(drift.quirks)).toEqual([1]);
  });

  test("a replacement with any other differing attribute is drift, with every attribute named", () => {
    const drift = planDrift({
      resource_changes: [
        change(
          "aws_ec2_subnet_cidr_reservation",
          ["delete", "create"],
          { cidr_block: "10.0.1.10/32", description: "" },
          { cidr_block: "10.0.1.11/32", description: "cp-0" },
        ),
      ],
    });
    expect(drift.changes).toEqual([
      'aws_ec2_subnet_cidr_reservation.x: delete+create (cidr_block "10.0.1.10/32" -> "10.0.1.11/32")',
    ]);
  });

  test("an update outside the quirks, a create and a delete are all drift", () => {
    const drift = planDrift({
      resource_changes: [
        change("aws_instance", ["update"], { tags: { a: "1" } }, { tags: {} }),
        change("aws_lb", ["create"], {}, {}),
        change("aws_lb", ["delete"], {}, {}),
        change("aws_vpc", ["no-op"], {}, {}),
      ],
    });
    expect(drift.changes).toEqual(['aws_instance.x: tags {"a":"1"} -> {}', "aws_lb.x: create", "aws_lb.x: delete"]);
  });
});
