// Behaviour every page may use, wired by data attributes (the Content-Security-Policy allows no
// inline scripts or handlers): print buttons, and site pickers that open the chosen site's calendar.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
// Copy buttons: data-copy names the element whose text is copied (a secret shown once).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    button.textContent = "Copied";
  } catch {
    window.getSelection().selectAllChildren(source);
    button.textContent = "Selected: press Ctrl+C";
  }
});
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-site-picker]");
  if (!form) return;
  event.preventDefault();
  window.location.href = `/calendar/${encodeURIComponent(form.site.value)}/`;
});
// Header menus: one open at a time, closed by a click elsewhere or Escape; inside the phone menu
// they are shown open, so every link is one tap away once "Menu" is opened.
const headerMenus = () => document.querySelectorAll(".site-header details[data-menu]");
const phone = window.matchMedia("(max-width: 820px)");
const fitMenus = () => headerMenus().forEach((menu) => { menu.open = phone.matches; });
fitMenus();
phone.addEventListener("change", fitMenus);
document.addEventListener("click", (event) => {
  if (phone.matches) return;
  headerMenus().forEach((menu) => { if (!menu.contains(event.target)) menu.open = false; });
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !phone.matches) headerMenus().forEach((menu) => { menu.open = false; });
});

// Several-choice filters (common/web/widgets.py): the summary names what is ticked; a click
// elsewhere or Escape closes them.
document.addEventListener("change", (event) => {
  const box = event.target.closest("details[data-choices]");
  if (!box) return;
  const chosen = [...box.querySelectorAll("input:checked")].map((input) => input.parentElement.textContent.trim());
  box.querySelector("[data-summary]").textContent = chosen.join(", ") || "any";
});
const closeChoices = (except) =>
  document.querySelectorAll("details[data-choices][open]").forEach((box) => { if (box !== except) box.open = false; });
document.addEventListener("click", (event) => closeChoices(event.target.closest("details[data-choices]")));
document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeChoices(null); });

// Date and time inputs are the browser's own control, written in the browser's language; beside
// each, the value reads in the site's one format (common/times.py): "Mon 2026-12-07 09:00".
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
function readsAs(input) {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}:\d{2}))?/.exec(input.value);
  if (!match) return "";
  const weekday = WEEKDAYS[new Date(Date.UTC(+match[1], +match[2] - 1, +match[3])).getUTCDay()];
  return `${weekday} ${match[1]}-${match[2]}-${match[3]}${match[4] ? ` ${match[4]}` : ""}`;
}
document.querySelectorAll("input[type=datetime-local], input[type=date]").forEach((input) => {
  const note = document.createElement("small");
  note.className = "reads-as";
  note.setAttribute("aria-hidden", "true"); // the input itself is announced with its value
  input.after(note);
  const show = () => { note.textContent = readsAs(input); };
  input.addEventListener("input", show);
  input.addEventListener("change", show);
  show();
});

// A field the browser finds invalid says why on the page, next to it, not in a passing bubble.
document.addEventListener("invalid", (event) => {
  const field = event.target;
  event.preventDefault();
  let note = field.parentElement.querySelector(":scope > .field-problem");
  if (!note) {
    note = document.createElement("small");
    note.className = "field-problem";
    note.id = `${field.id || field.name}-problem`;
    note.setAttribute("role", "alert");
    field.after(note);
  }
  note.textContent = field.validationMessage;
  field.setAttribute("aria-invalid", "true");
  field.setAttribute("aria-describedby", note.id);
  const first = field.form && field.form.querySelector(":invalid");
  if (first === field) field.focus();
}, true);
document.addEventListener("input", (event) => {
  const field = event.target;
  if (!field.matches || !field.matches("[aria-invalid=true]") || !field.checkValidity()) return;
  field.removeAttribute("aria-invalid");
  const note = field.parentElement.querySelector(":scope > .field-problem");
  if (note) note.remove();
});

// On a phone tables become cards (theme.css): each cell carries its column's heading as a label.
document.querySelectorAll("main table:not(.timeline)").forEach((table) => {
  if (table.closest(".fc")) return;
  const headings = [...table.querySelectorAll(":scope > thead th")].map((th) => th.textContent.trim());
  if (!headings.length) return;
  table.querySelectorAll(":scope > tbody > tr").forEach((row) => {
    let column = 0;
    for (const cell of row.children) {
      const heading = headings[column];
      if (heading && !cell.hasAttribute("data-label") && cell.colSpan === 1) cell.dataset.label = heading;
      column += cell.colSpan || 1;
    }
  });
});

// Destructive buttons (data-confirm="the question") ask in a dialog first: a red button that repeats
// the action, and a way back. Texts go in as text, never as markup.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (!button || button.dataset.confirmed) return;
  event.preventDefault();
  const dialog = document.createElement("dialog");
  dialog.className = "confirm-dialog";
  dialog.innerHTML =
    '<article><h2></h2><footer class="actions"><button type="button" class="danger" value="yes"></button>' +
    '<button type="button" class="secondary" value="no">Keep it</button></footer></article>';
  dialog.querySelector("h2").textContent = button.dataset.confirm;
  dialog.querySelector("[value=yes]").textContent = button.textContent.trim();
  dialog.addEventListener("close", () => dialog.remove());
  dialog.addEventListener("click", (choice) => {
    const chosen = choice.target.closest("button");
    if (!chosen) return;
    dialog.close();
    if (chosen.value === "yes") {
      button.dataset.confirmed = "true";
      button.click();
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  dialog.querySelector("[value=no]").focus();
});
