// Name the controls Django's admin builds without a label of their own: the date and time halves
// of a date-time field, and the search boxes of autocomplete fields.
window.addEventListener("load", () => setTimeout(() => {
  const nameOf = (element) => {
    const label = element.id && document.querySelector(`label[for="${element.id}"]`);
    const beside = element.closest(".flex-container")?.querySelector("label");
    const legend = element.closest("fieldset")?.querySelector("legend");
    return ((label || beside || legend)?.textContent || "").replace(":", "").trim();
  };
  document.querySelectorAll(".datetime input").forEach((input) => {
    const field = nameOf(document.getElementById(input.id.replace(/_[01]$/, "_0")) || input);
    const part = input.id.endsWith("_1") ? "time" : "date";
    if (field && !input.getAttribute("aria-label")) input.setAttribute("aria-label", `${field} ${part}`);
  });
  // The two-box selectors' help icons carry a label: give them the role that allows one.
  document.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach((icon) => icon.setAttribute("role", "img"));
  document.querySelectorAll(".select2-container").forEach((container) => {
    const select = container.previousElementSibling;
    const name = select && nameOf(select);
    if (!name) return;
    container.querySelectorAll(".select2-selection, .select2-selection__rendered").forEach((node) => node.setAttribute("aria-label", name));
  });
}), { once: true });
