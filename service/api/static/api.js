// Shared by the storefront and the insight page: JSON calls, the request log, the notice
// shown when no index is live, and product cards. Plain ES module, no dependencies.

export const BUILD_COMMAND = ".venv/bin/shoprec index";
const log = [];
const listeners = [];

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export function onRequest(listener) {
  listeners.push(listener);
}

// The admin key an operator typed into the insight page (SHOPREC_ADMIN_KEY): kept for this
// tab only, and sent with every call as X-API-Key (docs/security.md).
const ADMIN_KEY_ITEM = "shoprec.admin-key";

export function rememberAdminKey(key) {
  if (key) sessionStorage.setItem(ADMIN_KEY_ITEM, key);
  else sessionStorage.removeItem(ADMIN_KEY_ITEM);
}

function credentials() {
  const key = sessionStorage.getItem(ADMIN_KEY_ITEM);
  return key ? { "x-api-key": key } : {};
}

// fetch + JSON; a non-2xx answer throws ApiError with the service's `detail`.
export function api(path, options = {}) {
  return call(path, options, "application/json", (text) => JSON.parse(text));
}

// fetch of a text answer (GET /metrics); errors as `api` throws them.
export function apiText(path) {
  return call(path, {}, "text/plain", (text) => text);
}

async function call(path, options, accept, read) {
  let response;
  try {
    response = await fetch(path, {
      headers: { accept, "content-type": "application/json", ...credentials() },
      ...options,
    });
  } catch (err) {
    throw new ApiError(0, `the service did not answer (${err.message})`);
  }
  const text = await response.text();
  const body = parsed(response.ok ? read : JSON.parse, text);
  const entry = {
    method: options.method || "GET",
    path,
    status: response.status,
    source: body && body.source,
  };
  log.unshift(entry);
  log.length = Math.min(log.length, 10);
  listeners.forEach((listener) => listener(log));
  if (!response.ok) {
    const detail = body && body.detail ? body.detail : `HTTP ${response.status}`;
    throw new ApiError(response.status, detail);
  }
  return body;
}

function parsed(read, text) {
  try {
    return read(text);
  } catch {
    return null;
  }
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// No live index (503 from the service) or an empty catalog: say so, with the command.
export function showNoIndex(notice, detail) {
  notice.replaceChildren(
    el("h2", {}, "No catalog to show"),
    el("p", {}, detail),
    el("p", {}, "Build the index from the CSV files, then reload this page:"),
    el("pre", {}, el("code", {}, BUILD_COMMAND)),
    el("p", {}, "(", el("code", {}, "make run"), " does it for the demo data in data/.)"),
  );
  notice.hidden = false;
}

export function showError(notice, message) {
  notice.replaceChildren(el("p", {}, message));
  notice.hidden = false;
}

export function isNoIndex(err) {
  return err instanceof ApiError && err.status === 503;
}

// Fields an answer may or may not carry yet: price, category (string or list), img_url.
export function categoriesOf(item) {
  const raw = item.categories ?? item.category;
  if (Array.isArray(raw)) return raw.filter(Boolean);
  return raw ? [raw] : [];
}

const priceFormat = new Intl.NumberFormat(undefined, {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

export function priceText(item) {
  return typeof item.price === "number" ? priceFormat.format(item.price) : "no price";
}

export function picture(item) {
  const box = el("div", { class: "picture", "aria-hidden": "true" });
  box.append(el("span", { class: "placeholder" }, (item.title || "?").trim().charAt(0)));
  if (item.img_url) {
    const img = el("img", { src: item.img_url, alt: "", loading: "lazy" });
    img.addEventListener("error", () => img.remove());
    box.append(img);
  }
  return box;
}

// One product card. `actions.open(item)` for the title link, `actions.dismiss(item)` for
// "not interested" (left out when absent); `score` shown for recommendations.
export function card(item, actions) {
  const cats = categoriesOf(item);
  const link = el("a", { href: `#product=${encodeURIComponent(item.product_id)}` }, item.title);
  link.addEventListener("click", (event) => {
    event.preventDefault();
    actions.open(item);
  });
  const node = el(
    "li",
    { class: "card", "data-product-id": item.product_id },
    picture(item),
    el("h3", {}, link),
    el(
      "p",
      { class: "meta" },
      el("span", { class: "price" }, priceText(item)),
      " · ",
      el("span", { class: "category" }, cats.length ? cats.join(", ") : "no category"),
    ),
    typeof item.score === "number"
      ? el("p", { class: "score" }, `score ${item.score.toFixed(3)}`)
      : null,
  );
  if (actions.dismiss) {
    node.append(
      el(
        "button",
        {
          type: "button",
          class: "quiet dismiss",
          "aria-label": `Not interested in ${item.title}`,
          onclick: () => actions.dismiss(item),
        },
        "Not interested",
      ),
    );
  }
  return node;
}
