// Behaviour every page may use, wired by data attributes (the Content-Security-Policy allows no
// inline scripts or handlers): print buttons, and site pickers that open the chosen site's calendar.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-site-picker]");
  if (!form) return;
  event.preventDefault();
  window.location.href = `/calendar/${encodeURIComponent(form.site.value)}/`;
});
