// The write-availability client of the etcd tests: every INTERVAL ms, PUT key "writer/N" through
// etcd's JSON gateway (POST /v3/kv/put) over mutual TLS, with a TIMEOUT ms limit, and print one JSON
// line per request: {t: epoch ms when sent, ok, by: the endpoint used}. Like etcd's own client it
// sticks to one endpoint and moves to the next after a failure. Stops after DURATION ms.
// Usage: node etcd-writer.js ENDPOINTS(comma-separated) CA CERT KEY INTERVAL TIMEOUT DURATION
const https = require("https");
const fs = require("fs");
const [endpoints, ca, cert, key, interval, timeout, duration] = process.argv.slice(2);
const urls = endpoints.split(",");
const agent = new https.Agent({
  keepAlive: true,
  ca: fs.readFileSync(ca),
  cert: fs.readFileSync(cert),
  key: fs.readFileSync(key),
});
const end = Date.now() + Number(duration);
const b64 = (s) => Buffer.from(s).toString("base64");
let current = 0;
let n = 0;
function write() {
  if (Date.now() > end) return;
  const t = Date.now();
  const by = urls[current];
  let settled = false;
  const done = (ok) => {
    if (settled) return;
    settled = true;
    if (!ok && urls[current] === by) current = (current + 1) % urls.length;
    process.stdout.write(JSON.stringify({ t, ok, by }) + "\n");
  };
  const body = JSON.stringify({ key: b64(`writer/${n++}`), value: b64(String(t)) });
  const req = https.request(
    `${by}/v3/kv/put`,
    { method: "POST", agent, timeout: Number(timeout), headers: { "content-type": "application/json" } },
    (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => done(res.statusCode === 200 && text.includes('"header"')));
    },
  );
  req.on("timeout", () => req.destroy(new Error("timeout")));
  req.on("error", () => done(false));
  req.end(body);
  setTimeout(write, Number(interval));
}
write();
