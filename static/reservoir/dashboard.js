// Live figures without a full reload. Times on the viewer's clock, as the page rendered them, named.
const zone = document.getElementById("generated").dataset.zone || undefined;
const clock = (iso, seconds = false) =>
  new Date(iso).toLocaleTimeString([], {
    timeZone: zone, hour: "2-digit", minute: "2-digit", second: seconds ? "2-digit" : undefined, hour12: false, timeZoneName: "short",
  });
setInterval(async () => {
  const response = await fetch("/api/dashboard/status/", { credentials: "same-origin" });
  if (!response.ok) return;
  const s = await response.json();
  document.getElementById("generated").textContent = clock(s.generated_at, true);
  document.getElementById("outbox").textContent = s.outbox_pending;
  document.getElementById("conflicts").textContent = s.open_registry_conflicts;
  for (const [name, p] of Object.entries(s.processes)) {
    const card = document.querySelector(`[data-process="${name}"] strong`);
    if (card) card.dataset.alive = p.alive ? "true" : "false";
  }
  // Names come from users: text nodes, never markup.
  const fill = (id, entries, line, empty = "Nothing.") => {
    const list = document.getElementById(id);
    const items = entries.map((entry) => {
      const li = document.createElement("li");
      li.textContent = line(entry);
      return li;
    });
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = empty;
      items.push(li);
    }
    list.replaceChildren(...items);
  };
  fill("running", s.running, (b) => `${b.resource}: ${b.owner} until ${clock(b.end)}`);
  fill("upcoming", s.starting_within_hour, (b) => `${b.resource}: ${b.owner} at ${clock(b.start)}`);
  fill("stale-agents", s.stale_agents, (a) => `${a.resource} (${a.name}): ` +
    (a.last_seen ? "last seen " + clock(a.last_seen) : "never seen"), "None: every agent reports.");
  const rows = (id, items, cells, empty) => {
    const trs = items.map((item) => {
      const tr = document.createElement("tr");
      for (const text of cells(item)) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    });
    if (!trs.length) {
      const tr = document.createElement("tr");
      tr.innerHTML = `<td colspan="4" class="muted"></td>`;
      tr.firstChild.textContent = empty;
      trs.push(tr);
    }
    document.getElementById(id).replaceChildren(...trs);
  };
  rows("resources", Object.entries(s.resources_by_site),
    ([site, c]) => [site, c.active || 0, c.maintenance || 0, c.unavailable || 0], "No resources.");
  rows("webhooks", s.webhooks, (w) => [
    w.name, w.state,
    w.success_rate_day === null ? "\u2013" : Math.round(w.success_rate_day * 100) + "%",
    (w.last_failure && w.last_failure.reason) || "\u2013",
  ], "No webhooks.");
}, 10000);
