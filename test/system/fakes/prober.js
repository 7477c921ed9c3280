// The client of the failover tests: GET https://URL every INTERVAL ms (each with a TIMEOUT ms limit)
// and print one JSON line per request: {t: epoch ms when sent, end: when it ended, ok, by: the backend
// that answered, err: the error code of a failed request (ECONNRESET, ETIMEDOUT, ...) or null}.
// Stops by itself after DURATION ms. Usage: node prober.js URL INTERVAL TIMEOUT DURATION
const https = require("https");
const [url, interval, timeout, duration] = process.argv.slice(2);
const agent = new https.Agent({ keepAlive: false });
const end = Date.now() + Number(duration);
function probe() {
  if (Date.now() > end) return;
  const t = Date.now();
  let reported = false;
  const done = (ok, by, err) => {
    if (reported) return;
    reported = true;
    process.stdout.write(JSON.stringify({ t, end: Date.now(), ok, by, err }) + "\n");
  };
  const req = https.get(url, { agent, rejectUnauthorized: false, timeout: Number(timeout) }, (res) => {
    let body = "";
    res.on("error", (e) => done(false, null, e.code ?? e.message)); // reset after the headers
    res.on("data", (d) => (body += d));
    res.on("end", () => done(res.statusCode === 200, body, res.statusCode === 200 ? null : `HTTP ${res.statusCode}`));
  });
  req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
  req.on("error", (e) => done(false, null, e.code ?? e.message));
  setTimeout(probe, Number(interval));
}
probe();
