// The timeline as a scheduling grid: drag across a row to book that resource, drag a bar to move it
// (to another row too) or its right edge to change its length, or use the arrow keys on a focused
// bar. The server decides; a refused change snaps back with its message.
(function () {
  "use strict";
  const table = document.getElementById("timeline");
  if (!table) return;
  const message = document.getElementById("timeline-message");
  const scopeDialog = document.getElementById("scope-dialog");
  const windowStart = Date.parse(table.dataset.start);
  const windowEnd = Date.parse(table.dataset.end);
  const span = windowEnd - windowStart;
  const step = Number(table.dataset.stepMinutes) * 60000;
  const lanes = [...table.querySelectorAll(".lane")];
  const bookingDialog = document.getElementById("booking-dialog");
  const bookingFrame = document.getElementById("booking-frame");
  document.getElementById("booking-cancel").addEventListener("click", () => bookingDialog.close());
  // A change reloads the page (the server lays the bars out); what was done is said after it.
  const SAID = "reservoir.timeline-said";
  function reloadSaying(text) {
    sessionStorage.setItem(SAID, text);
    window.location.reload();
  }
  window.addEventListener("message", (event) => {
    if (event.origin === window.location.origin && event.data && event.data.type === "reservoir:booked") {
      reloadSaying(event.data.message || "Booked.");
    }
  });

  // A lease's bookings light up together: all of them while one is pointed at or focused, and
  // the one named by ?lease= (the lease page's "show on the timeline") from the start.
  function markLease(id, on) {
    table.querySelectorAll(`.bar[data-lease="${CSS.escape(id)}"]`).forEach((bar) => {
      bar.classList.toggle("in-lease", on);
      bar.closest("tr").classList.toggle("in-lease", on);
    });
  }
  const shownLease = new URLSearchParams(window.location.search).get("lease");
  if (shownLease) markLease(shownLease, true);
  table.querySelectorAll(".bar[data-lease]").forEach((bar) => {
    const id = bar.dataset.lease;
    const off = () => markLease(id, id === shownLease);
    bar.addEventListener("mouseenter", () => markLease(id, true));
    bar.addEventListener("focus", () => markLease(id, true));
    bar.addEventListener("mouseleave", off);
    bar.addEventListener("blur", off);
  });

  function say(text, kind = "error") {
    message.className = `message ${kind}`;
    message.textContent = text || "";
  }
  if (sessionStorage.getItem(SAID)) {
    say(sessionStorage.getItem(SAID), "ok");
    sessionStorage.removeItem(SAID);
  }
  const snap = (ms) => windowStart + Math.round((ms - windowStart) / step) * step;
  const at = (lane, clientX) => {
    const box = lane.getBoundingClientRect();
    return windowStart + ((clientX - box.left) / box.width) * span;
  };
  const laneUnder = (x, y) => {
    const hit = document.elementFromPoint(x, y);
    return hit && hit.closest(".lane");
  };

  function csrfToken() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function askScope() {
    return new Promise((resolve) => {
      scopeDialog.returnValue = "";
      scopeDialog.addEventListener("close", () => resolve(scopeDialog.returnValue), { once: true });
      scopeDialog.showModal();
    });
  }

  async function change(bar, body) {
    const scope = bar.dataset.series ? await askScope() : "this";
    if (!scope) return false;
    const response = await fetch(`/api/reservations/${bar.dataset.booking}/?scope=${scope}`, {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
    if (response.ok) {
      const moved = await response.json().catch(() => null);
      const name = (moved && moved.resource_name) || bar.dataset.cardTitle || "The booking";
      reloadSaying(`Saved: ${name}${moved && moved.when ? `, ${moved.when}` : ""}.`);
      return true;
    }
    const data = await response.json().catch(() => null);
    let text = (data && data.detail) || `The server refused (${response.status}).`;
    if (data && data.errors && Object.keys(data.errors).length) {
      text = Object.entries(data.errors).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`).join(" · ");
    }
    say(text);
    return false;
  }

  // --- Drag across a row: book that resource ---------------------------------------------------
  lanes.forEach((lane) => {
    lane.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 || event.target.closest(".bar")) return;
      if (lane.dataset.bookable !== "true") {
        say(`${lane.dataset.resourceName} cannot be booked now.`);
        return;
      }
      event.preventDefault();
      const from = snap(at(lane, event.clientX));
      const ghost = document.createElement("div");
      ghost.className = "selection";
      lane.append(ghost);
      let to = from + step;
      const draw = () => {
        const [a, b] = [Math.min(from, to), Math.max(from, to)];
        ghost.style.left = `${((a - windowStart) / span) * 100}%`;
        ghost.style.width = `${((b - a) / span) * 100}%`;
      };
      draw();
      const move = (e) => {
        to = snap(at(lane, e.clientX));
        if (to === from) to = from + step;
        draw();
      };
      const up = () => {
        document.removeEventListener("pointermove", move);
        ghost.remove();
        const [a, b] = [Math.min(from, to), Math.max(from, to)];
        if (a < Date.now() - 60000) {
          say("That time has passed: choose a time from now on.");
          return;
        }
        const params = new URLSearchParams({
          embed: "1",
          site: table.dataset.site,
          resource: lane.dataset.resourceId,
          start: new Date(a).toISOString(),
          end: new Date(b).toISOString(),
        });
        // The one booking form, in the same dialog as the calendars'.
        bookingFrame.src = `/reservations/new/?${params}`;
        bookingDialog.showModal();
      };
      document.addEventListener("pointermove", move);
      document.addEventListener("pointerup", up, { once: true });
    });
  });

  // --- Drag a bar: move it (any row) or, by its right edge, change its length ----------------------
  table.querySelectorAll(".bar[data-movable]").forEach((bar) => {
    const start = Date.parse(bar.dataset.start);
    const end = Date.parse(bar.dataset.end);
    let suppressClick = false;
    bar.addEventListener("click", (event) => {
      if (suppressClick) event.preventDefault();
      suppressClick = false;
    });
    bar.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      const box = bar.getBoundingClientRect();
      const resizing = event.clientX > box.right - 8;
      const laneWidth = bar.parentElement.getBoundingClientRect().width;
      const x0 = event.clientX;
      const y0 = event.clientY;
      let moved = false;
      const move = (e) => {
        const dx = e.clientX - x0;
        const dy = e.clientY - y0;
        if (Math.abs(dx) + Math.abs(dy) > 4) moved = true;
        if (!moved) return;
        bar.classList.add("dragging");
        if (resizing) bar.style.width = `${((box.width + dx) / laneWidth) * 100}%`;
        else bar.style.transform = `translate(${dx}px, ${dy}px)`;
      };
      const up = async (e) => {
        document.removeEventListener("pointermove", move);
        if (!moved) return; // a click: the link opens the booking
        suppressClick = true;
        const delta = Math.round(((e.clientX - x0) / laneWidth) * span / step) * step;
        const target = laneUnder(e.clientX, e.clientY) || bar.parentElement;
        const body = resizing
          ? { end: new Date(Math.max(end + delta, start + step)).toISOString() }
          : { start: new Date(start + delta).toISOString(), end: new Date(end + delta).toISOString() };
        if (!resizing && target !== bar.parentElement) body.resource = Number(target.dataset.resourceId);
        const saved = await change(bar, body);
        if (!saved) {
          bar.classList.remove("dragging");
          bar.style.transform = "";
          bar.style.width = "";
        }
      };
      document.addEventListener("pointermove", move);
      document.addEventListener("pointerup", up, { once: true });
    });

    // Keyboard: arrows move by one step, Shift+arrows change the length, up/down change the row.
    bar.addEventListener("keydown", (event) => {
      const keys = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"];
      if (!keys.includes(event.key)) return;
      event.preventDefault();
      const sign = event.key === "ArrowLeft" || event.key === "ArrowUp" ? -1 : 1;
      if (event.key === "ArrowUp" || event.key === "ArrowDown") {
        const index = lanes.indexOf(bar.parentElement);
        const next = lanes.slice(index + sign * 1).filter((l) => l.dataset.bookable === "true");
        const target = sign > 0 ? next[0] : lanes.slice(0, index).reverse().find((l) => l.dataset.bookable === "true");
        if (target) change(bar, { resource: Number(target.dataset.resourceId) });
      } else if (event.shiftKey) {
        change(bar, { end: new Date(Math.max(end + sign * step, start + step)).toISOString() });
      } else {
        change(bar, { start: new Date(start + sign * step).toISOString(), end: new Date(end + sign * step).toISOString() });
      }
    });
  });

  // What a bar is, readable at any zoom: a title that does not fit inside its bar sits beside it,
  // and pointing at or focusing a bar shows a card with its times, owner and status.
  function fitLabels() {
    lanes.forEach((lane) => {
      const bars = [...lane.querySelectorAll(".bar")].sort((a, b) => a.offsetLeft - b.offsetLeft);
      bars.forEach((bar, index) => {
        const label = bar.querySelector(".label");
        if (!label) return;
        bar.classList.remove("narrow");
        label.style.maxWidth = "";
        if (label.scrollWidth <= bar.clientWidth + 1) return;
        bar.classList.add("narrow");
        // Beside the bar, up to the next one (the card tells the rest).
        const right = bar.offsetLeft + bar.offsetWidth;
        const next = bars.slice(index + 1).find((other) => other.offsetLeft >= right - 1);
        const room = (next ? next.offsetLeft : lane.clientWidth) - right - 6;
        label.style.maxWidth = `${Math.max(room, 0)}px`;
      });
    });
  }
  fitLabels();
  window.addEventListener("resize", fitLabels);

  const card = document.getElementById("bar-card");
  function showCard(bar) {
    const data = bar.dataset;
    if (!data.cardTitle) return;
    card.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = data.cardTitle;
    card.append(title);
    for (const line of [data.cardWhen, data.cardOwner && `Booked by ${data.cardOwner}`, data.cardStatus]) {
      if (!line) continue;
      const row = document.createElement("div");
      row.textContent = line;
      card.append(row);
    }
    card.hidden = false;
    const box = bar.getBoundingClientRect();
    const width = card.offsetWidth;
    card.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - width - 8))}px`;
    const below = box.bottom + 6;
    card.style.top = `${below + card.offsetHeight > window.innerHeight ? box.top - card.offsetHeight - 6 : below}px`;
  }
  const hideCard = () => (card.hidden = true);
  table.querySelectorAll(".bar").forEach((bar) => {
    bar.addEventListener("mouseenter", () => showCard(bar));
    bar.addEventListener("focus", () => showCard(bar));
    bar.addEventListener("mouseleave", hideCard);
    bar.addEventListener("blur", hideCard);
  });
  document.addEventListener("scroll", hideCard, true);

  // Today's column and the current time, on every row.
  const now = Date.now();
  lanes.forEach((lane) => {
    if (table.dataset.todayLeft) {
      const column = document.createElement("div");
      column.className = "today-column";
      column.style.left = `${table.dataset.todayLeft}%`;
      column.style.width = `${table.dataset.todayWidth}%`;
      lane.prepend(column);
    }
    if (now > windowStart && now < windowEnd) {
      const line = document.createElement("div");
      line.className = "now";
      line.title = "Now";
      line.style.left = `${((now - windowStart) / span) * 100}%`;
      lane.append(line);
    }
  });
})();
