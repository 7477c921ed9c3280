"""Stand-in EC2 instance metadata service (IMDSv2 only), answering each caller as the instance that
holds its source address: a PUT /latest/api/token first, then GETs with X-aws-ec2-metadata-token.
Usage: imds.py ADDRESS PORT IDENTITIES.json ({IP: {"instanceId", "zone", "mac", "eni", "ip"?}}); "ip" is the
instance's private address when the caller reaches the stand-in from another one (loopback)."""
import http.server
import json
import secrets
import sys

address, port, identities = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3]))
tokens = set()


class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, body=""):
        self.send_response(code)
        self.end_headers()
        self.wfile.write(body.encode())

    def do_PUT(self):
        if self.path != "/latest/api/token" or not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400)
        token = secrets.token_hex(16)
        tokens.add(token)
        self.reply(200, token)

    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") not in tokens:
            return self.reply(401)  # IMDSv1 is disabled on the cluster's instances
        me = identities.get(self.client_address[0])
        if me is None:
            return self.reply(404)
        ip = me.get("ip", self.client_address[0])
        paths = {
            "/latest/meta-data/instance-id": me["instanceId"],
            "/latest/meta-data/placement/availability-zone": me["zone"],
            "/latest/meta-data/placement/region": me["zone"][:-1],
            "/latest/meta-data/mac": me["mac"],
            f"/latest/meta-data/network/interfaces/macs/{me['mac']}/interface-id": me["eni"],
            "/latest/meta-data/local-ipv4": ip,
            # EC2's IP-based private DNS name (us-east-1 uses ec2.internal instead of REGION.compute.internal).
            "/latest/meta-data/local-hostname": "ip-%s.%s.compute.internal"
            % (ip.replace(".", "-"), me["zone"][:-1]),
        }
        if self.path in paths:
            return self.reply(200, paths[self.path])
        self.reply(404)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer((address, port), Handler).serve_forever()
