// Small page helpers. "/" focuses the page's search box, as in most list screens.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
  const search = document.querySelector("[data-search]");
  if (search instanceof HTMLElement) { event.preventDefault(); search.focus(); }
});
