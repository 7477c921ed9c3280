// The client of the failover tests: GET https://URL every INTERVAL ms (each with a TIMEOUT ms limit)
// and print one JSON line per request: {t: epoch ms when sent, ok, by: the backend that answered}.
// Stops by itself after DURATION ms. Usage: node prober.js URL INTERVAL TIMEOUT DURATION
const https = require("https");
const [url, interval, timeout, duration] = process.argv.slice(2);
const agent = new https.Agent({ keepAlive: false });
const end = Date.now() + Number(duration);
function probe() {
  if (Date.now() > end) return;
  const t = Date.now();
  const done = (ok, by) => process.stdout.write(JSON.stringify({ t, ok, by }) + "\n");
  const req = https.get(url, { agent, rejectUnauthorized: false, timeout: Number(timeout) }, (res) => {
    let body = "";
    res.on("data", (d) => (body += d));
    res.on("end", () => done(res.statusCode === 200, body));
  });
  req.on("timeout", () => req.destroy(new Error("timeout")));
  req.on("error", () => done(false, null));
  setTimeout(probe, Number(interval));
}
probe();
