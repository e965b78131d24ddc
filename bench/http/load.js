"use strict";
// The bench's load generator, run as its own process: node load.js <config.json>.
// Config: { url, method, headers, body, paths?, rate, duration, connections, warmup? }.
// Prints one JSON line: counts by status, errors, and latency percentiles (corrected for
// coordinated omission, as autocannon does when a rate is set).
const fs = require("fs");
const autocannon = require("autocannon");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const paths = config.paths ?? null;
let next = 0;

function run(duration) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: config.url,
      method: config.method ?? "GET",
      headers: config.headers ?? {},
      body: config.body,
      connections: config.connections ?? 20,
      overallRate: config.rate,
      duration,
      requests: paths ? [{ setupRequest: request => ({ ...request, path: paths[next++ % paths.length] }) }] : undefined,
    }, (error, result) => (error ? reject(error) : resolve(result)));
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

(async () => {
  let warmupStatuses = {};
  if (config.warmup) {
    const w = await run(config.warmup);
    for (const [code, n] of Object.entries(w.statusCodeStats ?? {})) {
      warmupStatuses[code] = n.count;
    }
  }

  const r = await run(config.duration);
  const statuses = {};
  for (const [code, n] of Object.entries(r.statusCodeStats ?? {})) {
    statuses[code] = n.count;
  }

  console.log(JSON.stringify({
    requests: r.requests.total,
    ok: r["2xx"],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statuses,
    warmupStatuses,
    latency: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.average },
    duration: r.duration,
  }));
})().catch(error => {
  console.error(error);
  process.exit(1);
});
