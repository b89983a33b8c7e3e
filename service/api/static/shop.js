// The storefront: catalog grid, product page with its rows, the shopper's "For you" row, and
// feedback (click, add to cart, buy, not interested) sent to POST /feedback.
import {
  api, card, categoriesOf, el, isNoIndex, onRequest, picture, priceText, showError, showNoIndex,
} from "./api.js";

const PAGE = 24;
const ROW = 6;
const $ = (id) => document.getElementById(id);
const state = {
  user: null,
  offset: 0,
  total: 0,
  product: null, // the product page's id, null on the catalog
  dismissed: new Set(),
};

function status(message) {
  $("status").textContent = message;
}

function fail(err) {
  if (isNoIndex(err)) showNoIndex($("notice"), err.message);
  else showError($("notice"), `Something went wrong: ${err.message}`);
}

// --- shopper -----------------------------------------------------------------------------
function anonymousId() {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return "anon-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function addUserOption(user, label) {
  const select = $("user");
  if (![...select.options].some((o) => o.value === user)) {
    select.append(el("option", { value: user }, label || user));
  }
}

async function loadUsers() {
  const saved = localStorage.getItem("shoprec.user");
  const answer = await api("/catalog/users?limit=20");
  answer.users.forEach((user) => addUserOption(user, `${user} (has history)`));
  const user = saved || answer.users[0] || anonymousId();
  addUserOption(user);
  setUser(user, false);
}

function setUser(user, refresh = true) {
  state.user = user;
  state.dismissed = new Set(JSON.parse(sessionStorage.getItem(`shoprec.dismissed.${user}`) || "[]"));
  localStorage.setItem("shoprec.user", user);
  $("user").value = user;
  if (refresh) refreshRows();
}

// --- catalog -----------------------------------------------------------------------------
async function loadCategories() {
  const answer = await api("/catalog/categories");
  const select = $("category");
  answer.categories.forEach((c) => select.append(el("option", { value: c.name }, `${c.name} (${c.products})`)));
  select.disabled = answer.categories.length === 0;
  if (select.disabled) select.title = "This catalog has no categories";
}

async function loadCatalog() {
  const params = new URLSearchParams({ offset: state.offset, limit: PAGE });
  const query = $("q").value.trim();
  const category = $("category").value;
  if (query) params.set("query", query);
  if (category) params.set("category", category);
  const answer = await api(`/catalog?${params}`);
  state.total = answer.total;
  if (answer.total === 0 && !query && !category) {
    showNoIndex($("notice"), `The live index (version ${answer.version}) has no products.`);
  }
  const grid = $("grid");
  grid.replaceChildren(...answer.results.map((item) => card(item, { open: openProduct })));
  const last = Math.min(state.offset + answer.results.length, answer.total);
  $("count").textContent = answer.total
    ? `${answer.total} products${query ? ` matching “${query}”` : ""}; showing ${state.offset + 1}–${last}`
    : "No products match.";
  $("prev").disabled = state.offset === 0;
  $("next").disabled = last >= answer.total;
  $("page").textContent = answer.total ? `page ${Math.floor(state.offset / PAGE) + 1}` : "";
}

// --- feedback ----------------------------------------------------------------------------
async function feedback(action, item) {
  await api("/feedback", {
    method: "POST",
    body: JSON.stringify({ user_id: state.user, product_id: item.product_id, action }),
  });
  status(`Recorded ${action} on “${item.title || item.product_id}” for ${state.user}.`);
}

async function openProduct(item) {
  try {
    await feedback("click", item);
  } catch (err) {
    fail(err);
  }
  location.hash = `product=${encodeURIComponent(item.product_id)}`;
  if (state.product === item.product_id) await showProduct(item.product_id);
}

async function dismiss(item) {
  state.dismissed.add(item.product_id);
  sessionStorage.setItem(`shoprec.dismissed.${state.user}`, JSON.stringify([...state.dismissed]));
  document.querySelectorAll(`.row li[data-product-id="${CSS.escape(item.product_id)}"]`)
    .forEach((node) => node.remove());
  try {
    await feedback("dismiss", item);
  } catch (err) {
    fail(err);
  }
  await refreshRows();
}

// --- recommendation rows -----------------------------------------------------------------
// Recommendation answers carry each card's title, price, categories and image: no second read.
function renderRow(id, answer) {
  const row = $(id);
  const source = row.querySelector(".source");
  source.textContent = answer.source;
  source.dataset.source = answer.source;
  source.title = answer.source === "cache" ? "served from the cache" : "computed by the model now";
  const items = answer.results.filter((item) => !state.dismissed.has(item.product_id));
  const cards = items.map((item) => card(item, { open: openProduct, dismiss }));
  row.querySelector("ul").replaceChildren(
    ...(cards.length ? cards : [el("li", { class: "empty" }, "Nothing to recommend here.")]),
  );
  row.dataset.generation = String(Number(row.dataset.generation || 0) + 1);
}

function exclude(params) {
  if (state.dismissed.size) params.set("exclude", [...state.dismissed].join(","));
  return params;
}

async function loadForYou() {
  const params = new URLSearchParams({ user_id: state.user, top_k: ROW });
  let answer;
  if ($("use-weights").checked) {
    params.set("w_content", $("w-content").value);
    params.set("w_cf", $("w-cf").value);
    if (state.product) params.set("product_id", state.product);
    answer = await api(`/recommend/hybrid?${params}`);
    $("foryou-how").textContent = `hybrid ${$("w-content").value} / ${$("w-cf").value}`;
  } else {
    answer = await api(`/recommend/ab?${params}`);
    $("variant").textContent = answer.variant;
    $("foryou-how").textContent = `A/B: ${answer.variant}`;
  }
  renderRow("row-foryou", answer);
}

async function loadProductRows(productId) {
  const id = encodeURIComponent(productId);
  const similar = exclude(new URLSearchParams({ top_k: ROW }));
  const together = exclude(new URLSearchParams({ product_id: productId, top_k: ROW, w_content: 0, w_cf: 1 }));
  const [similarRow, togetherRow] = await Promise.all([
    api(`/recommend/content/${id}?${similar}`),
    api(`/recommend/hybrid?${together}`),
  ]);
  renderRow("row-similar", similarRow);
  renderRow("row-together", togetherRow);
}

async function refreshRows() {
  try {
    const work = [loadForYou()];
    if (state.product) work.push(loadProductRows(state.product));
    await Promise.all(work);
  } catch (err) {
    fail(err);
  }
}

// --- product page ------------------------------------------------------------------------
async function showProduct(productId) {
  state.product = productId;
  $("catalog-view").hidden = true;
  $("product-view").hidden = false;
  let item;
  try {
    item = await api(`/products/${encodeURIComponent(productId)}`);
  } catch (err) {
    if (err.status !== 404) throw err;
    $("product-title").textContent = `Unknown product ${productId}`;
    return;
  }
  const cats = categoriesOf(item);
  $("product-title").textContent = item.title;
  $("product-id").textContent = item.product_id;
  $("product-meta").textContent = `${priceText(item)} · ${cats.length ? cats.join(", ") : "no category"}`;
  $("product-picture").replaceWith(Object.assign(picture(item), { id: "product-picture" }));
  $("add-to-cart").onclick = () => feedback("add_to_cart", item).then(refreshRows, fail);
  $("buy").onclick = () => feedback("purchase", item).then(refreshRows, fail);
  $("not-interested").onclick = () => dismiss(item).then(() => { location.hash = ""; });
  document.title = `${item.title} — shoprec`;
  $("product-title").focus();
  await refreshRows();
}

async function route() {
  const match = location.hash.match(/^#product=(.+)$/);
  try {
    if (match) {
      $("product-view").after($("row-foryou"));
      await showProduct(decodeURIComponent(match[1]));
    } else {
      state.product = null;
      $("catalog-view").before($("row-foryou"));
      $("product-view").hidden = true;
      $("catalog-view").hidden = false;
      document.title = "shoprec — storefront";
      await refreshRows();
    }
  } catch (err) {
    fail(err);
  }
}

// --- wiring ------------------------------------------------------------------------------
function wire() {
  $("product-title").tabIndex = -1;
  $("search").addEventListener("submit", (event) => {
    event.preventDefault();
    state.offset = 0;
    loadCatalog().catch(fail);
  });
  $("category").addEventListener("change", () => {
    state.offset = 0;
    loadCatalog().catch(fail);
  });
  $("prev").addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - PAGE);
    loadCatalog().catch(fail);
  });
  $("next").addEventListener("click", () => {
    state.offset += PAGE;
    loadCatalog().catch(fail);
  });
  $("back").addEventListener("click", (event) => {
    event.preventDefault();
    location.hash = "";
  });
  $("user").addEventListener("change", (event) => setUser(event.target.value));
  $("new-user").addEventListener("click", () => {
    const user = anonymousId();
    addUserOption(user, `${user} (new)`);
    setUser(user);
  });
  for (const id of ["w-content", "w-cf"]) {
    $(id).addEventListener("input", () => {
      $(`${id}-value`).textContent = Number($(id).value).toFixed(2);
    });
    $(id).addEventListener("change", () => $("use-weights").checked && refreshRows());
  }
  $("use-weights").addEventListener("change", refreshRows);
  window.addEventListener("hashchange", route);
  onRequest((entries) => {
    $("log").replaceChildren(
      ...entries.map((e) =>
        el("li", {}, el("code", {}, `${e.method} ${e.path}`), ` → ${e.status}${e.source ? ` (${e.source})` : ""}`),
      ),
    );
  });
}

async function start() {
  wire();
  try {
    await loadUsers();
    await Promise.all([loadCategories(), loadCatalog()]);
  } catch (err) {
    fail(err);
    document.body.dataset.ready = "error";
    return;
  }
  await route();
  document.body.dataset.ready = "yes";
}

start();
