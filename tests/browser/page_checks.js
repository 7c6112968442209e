// Run in the page by tests/browser/crawl.py: raw markup, the menu on one line, text contrast.
// Returns {raw: [str], contrast: [str], nav: {oneLine, height, items} | null}.
(minContrast) => {
  const out = {raw: [], contrast: [], nav: null};
  const text = document.body.innerText;
  for (const needle of ["<script", "{{", "{%"]) {
    const at = text.indexOf(needle);
    if (at >= 0) out.raw.push(needle + " in: " + JSON.stringify(text.slice(Math.max(0, at - 40), at + 60)));
  }
  const nav = document.querySelector('nav[aria-label="Main"]');
  if (nav) {
    const items = [...nav.querySelectorAll("a, button, input, form")].filter(
      (e) => e.checkVisibility() && e.getBoundingClientRect().height > 0);
    const rects = items.map((e) => e.getBoundingClientRect());
    if (rects.length) {
      const maxTop = Math.max(...rects.map((r) => r.top));
      const minBottom = Math.min(...rects.map((r) => r.bottom));
      out.nav = {oneLine: maxTop < minBottom, height: Math.round(nav.getBoundingClientRect().height),
        items: items.length};
    }
  }
  // Colours: let a canvas resolve any CSS colour syntax to RGBA.
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext("2d", {willReadFrequently: true});
  const cache = new Map();
  function rgba(c) {
    if (cache.has(c)) return cache.get(c);
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = "rgba(0,0,0,0)";
    ctx.fillStyle = c;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    const v = [d[0], d[1], d[2], d[3] / 255];
    cache.set(c, v);
    return v;
  }
  function over(top, bottom) {  // top composited over an opaque bottom
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  }
  // The opaque background behind el, or null if an image or gradient is in the way.
  function background(el) {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage && s.backgroundImage !== "none") return null;
      const bg = rgba(s.backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let acc = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) acc = over(layers[i], acc);
    return acc;
  }
  function lum(c) {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function ratio(a, b) {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  }
  function label(el) {
    const cls = [...el.classList].slice(0, 3).join(".");
    return el.tagName.toLowerCase() + (cls ? "." + cls : "");
  }
  const seen = new Set();
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "OPTION", "svg"].includes(el.tagName)) continue;
    const isBadge = el.classList.contains("badge");
    const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    if (!own && !isBadge) continue;
    const shown = (isBadge ? el.innerText : own).trim();
    if (!shown) continue;
    if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) continue;
    if (el.closest(".visually-hidden, [aria-hidden='true'], :disabled, canvas")) continue;
    const s = getComputedStyle(el);
    const bg = background(el);
    if (!bg) continue;
    let fg = rgba(s.color);
    let opacity = 1;
    for (let e = el; e; e = e.parentElement) opacity *= parseFloat(getComputedStyle(e).opacity);
    fg = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
    const value = ratio(fg, bg);
    if (value < minContrast) {
      const key = label(el) + "|" + s.color + "|" + bg.join(",");  // once per style per page
      if (seen.has(key)) continue;
      seen.add(key);
      out.contrast.push(`${isBadge ? "badge " : ""}${label(el)} ${JSON.stringify(shown.slice(0, 40))}: ` +
        `${value.toFixed(2)}:1 (${s.color} on rgb(${bg.slice(0, 3).map(Math.round).join(", ")}))`);
    }
  }
  return out;
}
