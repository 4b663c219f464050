// With ?check-overflow in the address, mark on <body> the elements whose content runs past their box or past
// the window's right edge (clipped code, tables, images): docs/check_pages.py reads it in headless Chromium.
window.addEventListener("load", function () {
  if (!location.search.includes("check-overflow")) return;
  var bad = [];
  document.querySelectorAll("pre, table, img, div.highlight, div.body").forEach(function (el) {
    var r = el.getBoundingClientRect();
    var clipped = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible";
    if (clipped || r.right > window.innerWidth + 1) {
      bad.push(el.tagName.toLowerCase() + ": " + (el.textContent || el.getAttribute("src") || "").trim().slice(0, 60));
    }
  });
  document.body.setAttribute("data-overflow", JSON.stringify(bad));
});
