/**
 * The AWS CDK flavour's side of test/reviewable.ts: the same facts from a CloudFormation template,
 * its intrinsics (Ref, Fn::GetAtt, Fn::Join) resolved to the same stand-ins.
 */
import { CfnOutput } from "aws-cdk-lib";
import { list, PoolFacts, Resolve, Rule, sameRouteTables, sorted, Statement } from "../reviewable";
import { CdkSynth, cfnPrimaryInterface, cfnResources, cfnTag } from "./helpers";

/** CloudFormation's intrinsics in the AWS CDK template, as the same stand-ins. */
export function cloudFormationResolver(synth: CdkSynth): Resolve {
  const resources = synth.json.Resources;
  const ref = (id: string): string => {
    const pseudo: Record<string, string> = {
      "AWS::Partition": "PARTITION",
      "AWS::Region": "REGION",
      "AWS::AccountId": "ACCOUNT",
    };
    if (pseudo[id]) return pseudo[id];
    const r = resources[id];
    switch (r?.Type) {
      case "AWS::SecretsManager::Secret":
        return `SECRET<${r.Properties.Description}>`;
      case "AWS::EC2::Instance":
        return `INSTANCE<${cfnTag(r, "Name")}>`;
      case "AWS::EC2::Subnet":
        return `SUBNET<${r.Properties.CidrBlock}>`;
      case "AWS::EC2::RouteTable":
        return "ROUTE_TABLE";
      case "AWS::EC2::VPC":
        return "VPC";
      case "AWS::IAM::Role":
        return `ROLE<${r.Properties.Description}>`;
      default:
        throw new Error(`no stand-in for Ref ${id} (${r?.Type})`);
    }
  };
  const getAtt = (id: string, attr: string): string => {
    const r = resources[id];
    if (r.Type === "AWS::ElasticLoadBalancingV2::LoadBalancer" && attr === "DNSName")
      return `NLB<${r.Properties.Name}>`;
    if (r.Type === "AWS::EC2::SecurityGroup" && attr === "GroupId") return `SG<${cfnTag(r, "Name")}>`;
    if (r.Type === "AWS::IAM::Role" && attr === "Arn") return `ROLE<${r.Properties.Description}>`;
    if (r.Type === "AWS::IAM::InstanceProfile" && attr === "Arn") return `PROFILE<${ref(r.Properties.Roles[0].Ref)}>`;
    throw new Error(`no stand-in for GetAtt ${id}.${attr}`);
  };
  const resolve: Resolve = (value) => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === "object") {
      const v = value as Record<string, any>;
      if ("Ref" in v) return ref(v.Ref);
      if ("Fn::GetAtt" in v) return getAtt(v["Fn::GetAtt"][0], v["Fn::GetAtt"][1]);
      if ("Fn::Join" in v) return resolve((v["Fn::Join"][1] as unknown[]).map(resolve).join(v["Fn::Join"][0]));
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    }
    if (typeof value === "string")
      // The deploy settings' ARN is built from its name (no reference): the same stand-in as Terraform's reference.
      return value.replace(/^arn:PARTITION:ssm:REGION:ACCOUNT:parameter(\/.*)$/, "PARAMETER<$1>");
    return value;
  };
  return (value) => sameRouteTables(resolve(value));
}

export function cfnUserData(synth: CdkSynth) {
  return Object.fromEntries(
    cfnResources(synth, "AWS::EC2::Instance").map(([, i]) => [cfnTag(i, "Name"), i.Properties.UserData]),
  );
}

export function cfnDeploySettings(synth: CdkSynth, resolve: Resolve) {
  return resolve(cfnResources(synth, "AWS::SSM::Parameter")[0][1].Properties.Value);
}

export function cfnRules(synth: CdkSynth, resolve: Resolve): string[] {
  const rules: Rule[] = [];
  const rule = (group: unknown, direction: string, p: any) =>
    rules.push({
      group,
      direction,
      protocol: p.IpProtocol,
      from: p.FromPort,
      to: p.ToPort,
      peer: p.CidrIp ?? resolve(direction === "ingress" ? p.SourceSecurityGroupId : p.DestinationSecurityGroupId),
      description: p.Description,
    });
  for (const [, sg] of cfnResources(synth, "AWS::EC2::SecurityGroup")) {
    const group = `SG<${cfnTag(sg, "Name")}>`;
    for (const p of sg.Properties.SecurityGroupIngress ?? []) rule(group, "ingress", p);
    for (const p of sg.Properties.SecurityGroupEgress ?? []) rule(group, "egress", p);
  }
  for (const [, r] of cfnResources(synth, "AWS::EC2::SecurityGroupIngress"))
    rule(resolve(r.Properties.GroupId), "ingress", r.Properties);
  for (const [, r] of cfnResources(synth, "AWS::EC2::SecurityGroupEgress"))
    rule(resolve(r.Properties.GroupId), "egress", r.Properties);
  return sorted(rules);
}

export function cfnStatements(synth: CdkSynth, resolve: Resolve): string[] {
  const statements: Statement[] = [];
  const add = (on: unknown, policy: string, doc: any) => {
    for (const s of doc.Statement)
      statements.push({
        on,
        policy,
        sid: s.Sid,
        effect: s.Effect,
        actions: list(s.Action).sort() as string[],
        resources: list(resolve(s.Resource)),
        conditions: Object.entries(s.Condition ?? {})
          .flatMap(([test, vars]) =>
            Object.entries(vars as Record<string, unknown>).map(
              ([v, values]) => `${test} ${v} ${sorted(list(resolve(values)))}`,
            ),
          )
          .sort(),
        principals: s.Principal ? ["*"] : [],
      });
  };
  for (const [id, role] of cfnResources(synth, "AWS::IAM::Role"))
    for (const p of role.Properties.Policies ?? [])
      add(`ROLE<${synth.json.Resources[id].Properties.Description}>`, p.PolicyName, p.PolicyDocument);
  for (const [, p] of cfnResources(synth, "AWS::IAM::Policy"))
    for (const role of p.Properties.Roles)
      add(
        `ROLE<${synth.json.Resources[role.Ref].Properties.Description}>`,
        p.Properties.PolicyName,
        p.Properties.PolicyDocument,
      );
  for (const [, p] of cfnResources(synth, "AWS::SecretsManager::ResourcePolicy"))
    add(resolve(p.Properties.SecretId), "resource policy", p.Properties.ResourcePolicy);
  return sorted(statements.map((s) => ({ ...s, resources: sorted(s.resources) })));
}

export function cfnNlbs(synth: CdkSynth, resolve: Resolve) {
  const resources = synth.json.Resources;
  return sorted(
    cfnResources(synth, "AWS::ElasticLoadBalancingV2::Listener").map(([, listener]) => {
      const lb = resources[listener.Properties.LoadBalancerArn.Ref];
      const p = resources[listener.Properties.DefaultActions[0].TargetGroupArn.Ref].Properties;
      const attribute = (key: string) => p.TargetGroupAttributes.find((a: any) => a.Key === key)?.Value;
      const lbAttribute = (key: string) => lb.Properties.LoadBalancerAttributes.find((a: any) => a.Key === key)?.Value;
      return {
        loadBalancer: {
          name: lb.Properties.Name,
          internal: lb.Properties.Scheme === "internal",
          crossZone: lbAttribute("load_balancing.cross_zone.enabled") === "true",
          subnets: lb.Properties.Subnets.length,
          securityGroups: resolve(lb.Properties.SecurityGroups),
        },
        listener: { port: listener.Properties.Port, protocol: listener.Properties.Protocol },
        targetGroup: {
          port: p.Port,
          protocol: p.Protocol,
          targetType: p.TargetType,
          healthCheck: [
            p.HealthCheckProtocol,
            p.HealthCheckPath,
            p.HealthCheckPort,
            p.Matcher.HttpCode,
            p.HealthCheckIntervalSeconds,
            p.HealthCheckTimeoutSeconds,
            p.HealthyThresholdCount,
            p.UnhealthyThresholdCount,
          ],
          attributes: {
            preserveClientIp: attribute("preserve_client_ip.enabled"),
            connectionTermination: attribute("deregistration_delay.connection_termination.enabled"),
            deregistrationDelay: attribute("deregistration_delay.timeout_seconds"),
            unhealthyConnectionTermination: attribute("target_health_state.unhealthy.connection_termination.enabled"),
            unhealthyDraining: attribute("target_health_state.unhealthy.draining_interval_seconds"),
          },
        },
        targets: sorted(p.Targets.map((t: any) => `${resolve(t.Id)}:${t.Port}`)),
      };
    }),
  );
}

export function cfnInstances(synth: CdkSynth, resolve: Resolve, subnetCidr: (id: string) => string) {
  return sorted(
    cfnResources(synth, "AWS::EC2::Instance").map(([, i]) => {
      const p = i.Properties;
      const ebs = p.BlockDeviceMappings[0].Ebs;
      // Where an explicit primary interface is attached, the interface says where the node is.
      const at = p.NetworkInterfaces ? cfnPrimaryInterface(synth, i).Properties : p;
      return {
        name: cfnTag(i, "Name"),
        subnet: subnetCidr(String(resolve(at.SubnetId))),
        ip: at.PrivateIpAddress,
        type: p.InstanceType,
        imds: [p.MetadataOptions.HttpTokens, p.MetadataOptions.HttpPutResponseHopLimit],
        root: [ebs.VolumeSize, ebs.VolumeType, ebs.Encrypted],
        role: cfnTag(i, "kubeadm-ha:role"),
        sourceDestCheck: at.SourceDestCheck ?? true,
      };
    }),
  );
}

export function cfnTaggedInterfaces(synth: CdkSynth) {
  return cfnResources(synth, "AWS::EC2::Instance")
    .filter(([, i]) => i.Properties.NetworkInterfaces)
    .map(([, i]) => [cfnTag(i, "Name"), cfnTag(cfnPrimaryInterface(synth, i), "kubeadm-ha:cluster")])
    .filter(([, tag]) => tag !== undefined)
    .map(([name, tag]) => `INSTANCE<${name}>=${tag}`)
    .sort();
}

export function cfnOutputs(synth: CdkSynth, resolve: Resolve) {
  const outputs = (synth.json as { Outputs?: Record<string, { Value: unknown; Description: string }> }).Outputs ?? {};
  return Object.fromEntries(
    synth.cluster.node.children
      .filter((c): c is CfnOutput => c instanceof CfnOutput)
      .map((c) => [c.node.id, [resolve(outputs[synth.stack.resolve(c.logicalId)].Value), c.description]]),
  );
}

export function cfnPools(synth: CdkSynth, resolve: Resolve): PoolFacts[] {
  const resources = synth.json.Resources;
  const tags = (list: { Key: string; Value: string }[]) =>
    Object.fromEntries(list.map((t) => [t.Key, t.Value]).sort(([a], [b]) => a.localeCompare(b)));
  return cfnResources(synth, "AWS::AutoScaling::AutoScalingGroup")
    .map(([, g]): PoolFacts => {
      const p = g.Properties;
      const mixed = p.MixedInstancesPolicy?.LaunchTemplate;
      const spec = mixed ? mixed.LaunchTemplateSpecification : p.LaunchTemplate;
      const t = resources[spec.LaunchTemplateId.Ref].Properties.LaunchTemplateData;
      const ebs = t.BlockDeviceMappings[0].Ebs;
      return {
        name: p.AutoScalingGroupName,
        // CloudFormation starts a group without DesiredCapacity at its MinSize.
        sizes: [Number(p.MinSize), Number(p.MaxSize), Number(p.DesiredCapacity ?? p.MinSize)],
        subnets: resolve(p.VPCZoneIdentifier),
        instanceTypes: mixed ? mixed.Overrides.map((o: any) => o.InstanceType) : [t.InstanceType],
        image: t.ImageId,
        imds: [t.MetadataOptions.HttpTokens, t.MetadataOptions.HttpPutResponseHopLimit],
        root: [ebs.VolumeSize, ebs.VolumeType, ebs.Encrypted],
        securityGroups: resolve(t.SecurityGroupIds),
        profile: resolve(t.IamInstanceProfile.Arn),
        instanceTags: tags(t.TagSpecifications.find((s: any) => s.ResourceType === "instance").Tags),
        groupTags: tags(p.Tags),
        health: [p.HealthCheckType, p.HealthCheckGracePeriod],
        userData: t.UserData,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
