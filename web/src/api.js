// The public app API, with the app token held in memory only.
export class APIError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    // retryAfter is the Retry-After header in seconds (429, 503); 0 when absent.
    this.retryAfter = retryAfter;
  }
}

// client calls the API with token; without one, only redeem (a hand-off
// code is its own credential).
export function client(token) {
  async function call(method, path, body) {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
    let data = null;
    try {
      data = await resp.json();
    } catch {
      data = null;
    }
    if (!resp.ok) {
      const e = (data && data.error) || {};
      throw new APIError(resp.status, e.code, e.message, Number(resp.headers.get("Retry-After")) || 0);
    }
    return data;
  }
  return {
    session: () => call("GET", "/v1/app/session"),
    declare: (captures) => call("POST", "/v1/app/session/uploads", { captures }),
    // challenge hands out this attempt's challenge (its light sequence,
    // its window); asked again, a new one replaces it.
    challenge: () => call("POST", "/v1/app/session/challenge", {}),
    // submit sends body (timing, light_declined, signals) when given.
    submit: (body) => call("POST", "/v1/app/session/submit", body),
    decline: () => call("POST", "/v1/app/session/decline"),
    handoff: () => call("POST", "/v1/app/session/handoff"),
    // request sends the person's request about their data (access,
    // erasure) to the controller, for this session only.
    request: (kind) => call("POST", "/v1/app/session/dsr", { kind }),
    redeem: (code) => call("POST", "/v1/handoff", { code }),
  };
}

// upload posts one sealed capture through its pre-signed POST policy, as a
// browser form would: every policy field, then the file. The request is a
// simple cross-origin POST sent without CORS (the store need not be
// configured for the page's origin), so its answer is opaque here; submit
// then has IDV check that every capture is stored with its declared size.
export async function upload(policy, sealed) {
  const form = new FormData();
  for (const [k, v] of Object.entries(policy.fields)) form.append(k, v);
  form.append("file", new Blob([sealed.bytes], { type: "application/octet-stream" }), "capture.sealed");
  await fetch(policy.url, {
    method: "POST",
    body: form,
    mode: "no-cors",
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer",
  });
}
