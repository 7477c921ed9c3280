"""Seeds the AWS emulator (moto) with what Terraform would have created before the nodes boot.

Reads a JSON plan on stdin: {"endpoint": URL, "region": R, "vpcCidr": C, "subnets": [{"cidr", "zone"}],
"instances": [{"name", "ip", "subnet"}], "secrets": [NAME], "routeTables": N}. Creates the VPC, the
subnets, one instance per node at its fixed address, the secrets (empty, as Terraform leaves them)
and the route tables, and prints what the nodes and the instance-metadata stand-in need to know:
{"secrets": {NAME: ARN}, "instances": {IP: {"instanceId", "zone", "mac", "eni"}}, "routeTables": [ID]}.
"""
import json
import sys

import boto3

plan = json.load(sys.stdin)
kw = dict(endpoint_url=plan["endpoint"], region_name=plan["region"], aws_access_key_id="testing", aws_secret_access_key="testing")
ec2 = boto3.client("ec2", **kw)
sm = boto3.client("secretsmanager", **kw)

vpc = ec2.create_vpc(CidrBlock=plan["vpcCidr"])["Vpc"]["VpcId"]
subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=s["cidr"], AvailabilityZone=s["zone"])["Subnet"] for s in plan["subnets"]]
image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
out = {"secrets": {}, "instances": {}, "routeTables": []}
for node in plan["instances"]:
    subnet = subnets[node["subnet"]]
    instance = ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.medium", SubnetId=subnet["SubnetId"], PrivateIpAddress=node["ip"],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": node["name"]}]}],
    )["Instances"][0]
    eni = instance["NetworkInterfaces"][0]
    out["instances"][node["ip"]] = {
        "name": node["name"], "instanceId": instance["InstanceId"], "zone": subnet["AvailabilityZone"],
        "mac": eni["MacAddress"], "eni": eni["NetworkInterfaceId"],
    }
for name in plan["secrets"]:
    out["secrets"][name] = sm.create_secret(Name=name, Description="created empty, as Terraform does")["ARN"]
for _ in range(plan.get("routeTables", 0)):
    out["routeTables"].append(ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"])
json.dump(out, sys.stdout)
