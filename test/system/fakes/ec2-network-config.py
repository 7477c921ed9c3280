"""The network configuration cloud-init's own EC2 datasource would render for one interface whose
instance metadata lists a secondary address (the VIP in secondary-ip mode), given the system config
at CFG (CFG and CFG.d/*.cfg, merged as cloud-init merges /etc/cloud/cloud.cfg and cloud.cfg.d).
Run with the python3 that cloud-init uses. Usage: ec2-network-config.py CFG PRIMARY_IP VIP
Prints the network config (version 2) as JSON.
"""
import json
import sys
import tempfile
from unittest import mock

from cloudinit import distros, helpers, net, util
from cloudinit.sources.DataSourceEc2 import DataSourceEc2

cfg, primary, vip = sys.argv[1:4]
paths = helpers.Paths({"cloud_dir": tempfile.mkdtemp()})
ds = DataSourceEc2(util.read_conf_with_confd(cfg), distros.fetch("ubuntu")("ubuntu", {}, paths), paths)
mac = "06:00:00:00:00:01"
# As the datasource's crawl of the metadata leaves it: local-ipv4s as a list, primary first.
ds.metadata = {
    "network": {
        "interfaces": {
            "macs": {
                mac: {
                    "device-number": "0",
                    "interface-id": "eni-0",
                    "local-ipv4s": [primary, vip],
                    "mac": mac,
                    "subnet-ipv4-cidr-block": "198.18.0.0/24",
                    "vpc-id": "vpc-0",
                }
            }
        }
    }
}
ds._fallback_interface = "eth0"
with mock.patch.object(net, "get_interfaces_by_mac", return_value={mac: "eth0"}):
    json.dump(ds.network_config, sys.stdout)
