// Stand-in kube-apiserver for the failover tests: HTTPS on ADDRESS:PORT, GET /readyz answers 200
// with this server's NAME, so a client can tell which backend served it.
// Usage: node api-server.js ADDRESS PORT NAME KEY_FILE CERT_FILE
const https = require("https");
const fs = require("fs");
const [address, port, name, key, cert] = process.argv.slice(2);
https
  .createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
    res.writeHead(req.url === "/readyz" ? 200 : 404, { "content-type": "text/plain" });
    res.end(name);
  })
  .listen(Number(port), address);
