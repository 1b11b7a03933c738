// Drives one load run with autocannon and prints its summary as one JSON line.
// Input (argv[2]): {"url", "method", "headers", "connections", "seconds", "maxRequests",
//                   "bodyTemplate"?, "slotBase"?, "tokens"?}
const autocannon = require("autocannon");

const spec = JSON.parse(process.argv[2]);
let counter = 0;
const options = {
  url: spec.url,
  method: spec.method || "GET",
  headers: spec.headers || {},
  connections: spec.connections || 16,
  duration: spec.seconds || 5,
  amount: spec.maxRequests || undefined,
};
// {{start}}/{{end}}: a fresh 15-minute slot per request, counting up from slotBase (epoch s).
const slot = (n, offset) => new Date((spec.slotBase + (n + offset) * 900) * 1000).toISOString();
// tokens: a bearer token per request, round robin (many accounts at once).
if (spec.bodyTemplate || spec.tokens) {
  options.requests = [{
    setupRequest: (req) => {
      counter += 1;
      if (spec.bodyTemplate) {
        req.body = spec.bodyTemplate
          .split("{{start}}").join(slot(counter, 0))
          .split("{{end}}").join(slot(counter, 1));
      }
      if (spec.tokens) {
        req.headers = { ...req.headers, authorization: "Bearer " + spec.tokens[counter % spec.tokens.length] };
      }
      return req;
    },
  }];
}
autocannon(options, (err, result) => {
  if (err) {
    console.log(JSON.stringify({ error: String(err) }));
    process.exit(1);
  }
  console.log(JSON.stringify({
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }));
});
