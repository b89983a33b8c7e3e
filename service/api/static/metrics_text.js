// The service's GET /metrics (Prometheus text format) read into what the insight page shows:
// per endpoint, requests, server errors, answer-cache hit ratio and latency quantiles.

// Label values may hold braces (route templates such as /recommend/content/{product_id}).
const SAMPLE = /^([a-zA-Z_:][\w:]*)(?:\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\})?\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

export function samples(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const labels = {};
    for (const [, key, value] of (match[2] || "").matchAll(LABEL)) labels[key] = value;
    out.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return out;
}

// The upper bound (seconds) of the bucket that holds quantile q of a histogram's buckets.
function quantile(buckets, q) {
  const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
  if (!total) return null;
  const hit = buckets.find(([, count]) => count >= q * total);
  return hit ? hit[0] : null;
}

export function traffic(text) {
  const rows = new Map();
  const row = (endpoint) => {
    if (!rows.has(endpoint)) {
      rows.set(endpoint, { endpoint, requests: 0, errors: 0, hits: 0, misses: 0, buckets: [] });
    }
    return rows.get(endpoint);
  };
  for (const { name, labels, value } of samples(text)) {
    const endpoint = labels.endpoint;
    if (!endpoint) continue;
    if (name === "shoprec_http_requests_total") {
      row(endpoint).requests += value;
      if (labels.status && labels.status.startsWith("5")) row(endpoint).errors += value;
    } else if (name === "shoprec_cache_hits_total") row(endpoint).hits += value;
    else if (name === "shoprec_cache_misses_total") row(endpoint).misses += value;
    else if (name === "shoprec_http_request_duration_seconds_bucket") {
      row(endpoint).buckets.push([labels.le === "+Inf" ? Infinity : Number(labels.le), value]);
    }
  }
  return [...rows.values()]
    .map((r) => {
      r.buckets.sort((a, b) => a[0] - b[0]);
      const asked = r.hits + r.misses;
      return {
        endpoint: r.endpoint,
        requests: r.requests,
        errors: r.errors,
        hitRatio: asked ? r.hits / asked : null,
        p50: quantile(r.buckets, 0.5),
        p99: quantile(r.buckets, 0.99),
      };
    })
    .sort((a, b) => b.requests - a.requests);
}
