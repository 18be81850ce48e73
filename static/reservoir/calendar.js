// The booking calendar: FullCalendar's standard views fed by the REST API. The server decides;
// a refused change snaps back with the server's message.
(function () {
  "use strict";
  const element = document.getElementById("calendar");
  if (!element) return;
  if (!window.FullCalendar) {
    // The library comes from npm (dev.py runs "npm ci" when Node.js is installed).
    element.innerHTML =
      '<p class="message error">The calendar library is not installed on this server. ' +
      'Use <a href="/reservations/new/">the booking form</a> and <a href="/reservations/mine/">your bookings</a>.</p>';
    return;
  }

  const resources = JSON.parse(element.dataset.resources);
  const byId = Object.fromEntries(resources.map((r) => [String(r.id), r]));
  const fixedResource = element.dataset.resource;
  const message = document.getElementById("calendar-message");
  const dialog = document.getElementById("booking-dialog");
  const frame = document.getElementById("booking-frame");

  function csrfToken() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function api(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) {
      let text = (data && data.detail) || `The server refused (${response.status}).`;
      if (data && data.errors) {
        const fields = Object.entries(data.errors).map(([k, v]) => `${fieldLabel(k)}: ${[].concat(v).join(" ")}`);
        if (fields.length) text = fields.join(" · ");
      }
      throw new Error(text);
    }
    return data;
  }

  const LABELS = { start: "Start", end: "End", resource: "Resource", title: "Title", rrule: "Repeat", owner: "Owner",
    non_field_errors: "Booking" };

  function fieldLabel(key) {
    // Parameter messages name the parameter by its key ("os_image: required"): show its label instead.
    if (LABELS[key]) return LABELS[key];
    return key;
  }

  // One line above the grid: what went wrong, or what was just done ("ok").
  function say(text, kind = "error") {
    message.className = `message ${kind}`;
    message.textContent = text || "";
  }

  // The site's way of writing days (common/times.py): "Mon 2026-11-30".
  const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const pad = (n) => String(n).padStart(2, "0");
  const isoDay = (d) => `${d.year}-${pad(d.month + 1)}-${pad(d.day)}`;
  const siteDay = (d) => `${WEEKDAYS[d.marker.getUTCDay()]} ${isoDay(d)}`;
  const clock = (date) =>
    date.toLocaleTimeString("en-GB", { timeZone: timeZone === "local" ? undefined : timeZone, hour: "2-digit", minute: "2-digit" });

  // Each resource its own shade of its type's colour, so that two GPUs side by side differ.
  const SHADES = [0, -0.28, 0.3, -0.45, 0.5, -0.14, 0.16];
  const shadeOf = {};
  Object.values(
    resources.reduce((byType, r) => ((byType[r.type_id] = byType[r.type_id] || []).push(r), byType), {})
  ).forEach((group) =>
    group.sort((a, b) => a.name.localeCompare(b.name)).forEach((r, i) => (shadeOf[String(r.id)] = SHADES[i % SHADES.length]))
  );

  function shade(hex, amount) {
    if (!/^#[0-9a-f]{6}$/i.test(hex || "") || !amount) return hex;
    const toward = amount < 0 ? 0 : 255;
    const mix = (i) => Math.round(parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) * (1 - Math.abs(amount)) + toward * Math.abs(amount));
    return `#${[0, 1, 2].map((i) => pad(mix(i).toString(16))).join("")}`;
  }

  function toEvent(r) {
    // On one resource's calendar, bookings of the resources it is part of (or of its parts) block it too.
    const blocking = Boolean(fixedResource) && String(r.resource) !== fixedResource;
    if (blocking) {
      return {
        id: String(r.id),
        title: `Blocked by ${r.resource_name}` + (r.details_visible && r.title ? ` · ${r.title}` : ""),
        start: r.start,
        end: r.end,
        classNames: ["blocked"],
        display: "background", // behind the grid: a drag over it starts, and is refused with a reason
        backgroundColor: "#c9ccd1",
        editable: false,
        extendedProps: { reservation: r, blocking: true },
      };
    }
    const pending = r.status === "pending";
    const color = readableShade(r.color || "#336699", shadeOf[String(r.resource)]);
    return {
      id: String(r.id),
      // The resource first: in a week of many GPUs that is what tells the blocks apart.
      title: `${r.resource_name} · ${pending ? "Pending: " : ""}${r.title || "Booking"}`,
      classNames: pending ? ["pending"] : [],
      start: r.start,
      end: r.end,
      backgroundColor: color,
      borderColor: color,
      textColor: textOn(color),
      editable: r.details_visible,
      extendedProps: { reservation: r },
    };
  }

  function luminance(hex) {
    const channel = (i) => {
      const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  }

  function textOn(hex) {
    // Black or white, whichever contrasts more with the colour (WCAG relative luminance).
    const light = luminance(hex);
    return (light + 0.05) / 0.05 >= 1.05 / (light + 0.05) ? "#111111" : "#ffffff";
  }

  function readableShade(hex, amount) {
    // The resource's shade, eased toward the type's colour until its text reads at 4.5:1 (WCAG AA).
    for (let a = amount || 0; ; a = Math.abs(a) < 0.05 ? 0 : a * 0.7) {
      const color = shade(hex, a);
      const [bg, fg] = [luminance(color), luminance(textOn(color))];
      if ((Math.max(bg, fg) + 0.05) / (Math.min(bg, fg) + 0.05) >= 4.5 || !a) return color;
    }
  }

  function busyDuring(start, end) {
    return calendar.getEvents().filter((e) => e.start < end && e.end > start);
  }

  // The resource's cleanup time after a booking: hatched, and no booking may start in it.
  function cleanupOf(r) {
    if (!r.cleanup_until || new Date(r.cleanup_until) <= new Date(r.end)) return [];
    return [
      {
        id: `${r.id}-cleanup`,
        title: `Cleanup · ${r.resource_name}`,
        start: r.end,
        end: r.cleanup_until,
        display: "background",
        classNames: ["cleanup"],
        editable: false,
        extendedProps: { reservation: r, cleanup: true },
      },
    ];
  }

  async function loadEvents(info, success, failure) {
    const params = new URLSearchParams({ start: info.startStr, end: info.endStr, page_size: "1000" });
    params.append("status", "confirmed");
    params.append("status", "pending"); // pending approval: holds its time too
    if (fixedResource) params.set("blocking", fixedResource);
    else {
      params.set("site", element.dataset.site);
      if (typeFilter && typeFilter.value) params.set("type", typeFilter.value);
      if (resourceFilter && resourceFilter.value) params.set("resource", resourceFilter.value);
    }
    const closures = new URLSearchParams({
      site: element.dataset.site,
      start: info.startStr,
      end: info.endStr,
      page_size: "200",
    });
    try {
      const [data, closed] = await Promise.all([
        api("GET", `/api/reservations/?${params}`),
        api("GET", `/api/blackouts/?${closures}`),
      ]);
      // Site-wide closures always; a resource's own only where that resource is what is shown.
      const shown = fixedResource || (resourceFilter && resourceFilter.value);
      const shut = closed.results
        .filter((b) => !b.resource || String(b.resource) === String(shown))
        .flatMap((b) =>
          b.periods.map((p, i) => ({
            id: `blackout-${b.id}-${i}`,
            title: `Closed: ${b.reason}`,
            start: p.start,
            end: p.end,
            display: "background",
            classNames: ["closed"],
            editable: false,
            extendedProps: { blackout: b },
          }))
        );
      success([...data.results.flatMap((r) => [toEvent(r), ...cleanupOf(r)]), ...shut]);
    } catch (error) {
      failure(error);
      say(error.message);
    }
  }

  // The site calendar's filters, remembered per site in this browser.
  const typeFilter = document.getElementById("filter-type");
  const resourceFilter = document.getElementById("filter-resource");
  const filterKey = `reservoir.calendar-filter.${element.dataset.site}`;
  if (typeFilter && resourceFilter) {
    [...new Map(resources.map((r) => [r.type_id, r.type])).entries()]
      .sort((a, b) => a[1].localeCompare(b[1]))
      .forEach(([id, name]) => typeFilter.append(new Option(name, id)));
    resources.forEach((r) => resourceFilter.append(new Option(r.name, r.id)));
    const saved = JSON.parse(localStorage.getItem(filterKey) || "{}");
    typeFilter.value = saved.type || "";
    resourceFilter.value = saved.resource || "";
    [typeFilter, resourceFilter].forEach((select) =>
      select.addEventListener("change", () => {
        localStorage.setItem(filterKey, JSON.stringify({ type: typeFilter.value, resource: resourceFilter.value }));
        calendar.refetchEvents();
      })
    );
  }

  // Booking opens the one booking form (the same page as /reservations/new/) inside a dialog; when it
  // has booked, the form tells this page, which closes the dialog and shows the new booking.
  document.getElementById("booking-cancel").addEventListener("click", () => {
    dialog.close();
    calendar.unselect();
  });
  window.addEventListener("message", (event) => {
    if (event.origin !== window.location.origin || !event.data || event.data.type !== "reservoir:booked") return;
    dialog.close();
    calendar.unselect();
    calendar.refetchEvents();
    say(event.data.message || "Booked.", "ok");
  });

  const scopeDialog = document.getElementById("scope-dialog");

  function askScope() {
    // Resolves with "this", "following", "all", or "" when the user backs out.
    return new Promise((resolve) => {
      scopeDialog.returnValue = "";
      scopeDialog.addEventListener("close", () => resolve(scopeDialog.returnValue), { once: true });
      scopeDialog.showModal();
    });
  }

  async function move(info) {
    const repeating = Boolean(info.event.extendedProps.reservation.series);
    const scope = repeating ? await askScope() : "this";
    if (!scope) {
      info.revert();
      return;
    }
    try {
      await api("PATCH", `/api/reservations/${info.event.id}/?scope=${scope}`, {
        start: info.event.startStr,
        end: info.event.endStr,
      });
      const what = scope === "this" ? "Moved" : scope === "all" ? "Moved the whole series" : "Moved this and the following";
      say(`${what}: ${info.event.title}, now ${clock(info.event.start)}–${clock(info.event.end)}.`, "ok");
      if (scope !== "this") calendar.refetchEvents();
    } catch (error) {
      info.revert();
      say(error.message);
    }
  }

  // The site's wall clock, whatever the browser's zone: what people agree on at the site.
  const timeZone = element.dataset.timeZone || "local";
  const narrow = window.matchMedia("(max-width: 640px)").matches;
  const canBookPast = element.dataset.canBookPast === "true";
  // The fold above the grid stays open on a desk; on a phone the grid comes first.
  const more = document.getElementById("calendar-more");
  if (more && !narrow) more.open = true;
  // Open on today's working hours: from an hour before the site's now.
  const siteHour = window.luxon ? luxon.DateTime.now().setZone(timeZone === "local" ? "system" : timeZone).hour : 8;
  const calendar = new FullCalendar.Calendar(element, {
    timeZone,
    dayHeaderFormat: (arg) => siteDay(arg.date),
    titleFormat: (arg) =>
      !arg.end || isoDay(arg.start) === isoDay(arg.end) ? siteDay(arg.start) : `${isoDay(arg.start)} – ${isoDay(arg.end)}`,
    listDayFormat: (arg) => siteDay(arg.date),
    listDaySideFormat: false,
    views: {
      dayGridMonth: {
        dayHeaderFormat: { weekday: "short" },
        titleFormat: { year: "numeric", month: "long" },
      },
      // The title carries the year; seven columns carry weekday and day.
      timeGridWeek: { dayHeaderFormat: (arg) => `${WEEKDAYS[arg.date.marker.getUTCDay()]} ${isoDay(arg.date).slice(5)}` },
    },
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    // On a phone a week of seven columns is unreadable: one day, and the list.
    initialView: narrow ? "timeGridDay" : "timeGridWeek",
    headerToolbar: narrow
      ? { left: "prev,next", center: "title", right: "today timeGridDay,listWeek" }
      : { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,timeGridDay,listWeek" },
    // On a phone the grid takes the screen below the toolbar rather than a desk's aspect ratio.
    ...(narrow ? { contentHeight: Math.max(360, window.innerHeight - 300) } : {}),
    nowIndicator: true,
    firstDay: 1,
    allDaySlot: false,
    slotDuration: "00:30:00",
    scrollTime: `${pad(Math.max(0, siteHour - 1))}:00:00`,
    selectable: true,
    selectMirror: true,
    editable: true,
    eventResizableFromStart: false,
    events: loadEvents,
    selectAllow(info) {
      if (!canBookPast && new Date(info.startStr) < new Date(Date.now() - 60000)) {
        say("That time has passed: choose a time from now on.");
        return false;
      }
      if (!fixedResource) return true;
      if (byId[fixedResource] && byId[fixedResource].status !== "active") return false;
      const busy = busyDuring(info.start, info.end);
      if (busy.length) {
        say(`This time is taken: ${busy.map((e) => e.title).join("; ")}.`);
        return false;
      }
      return true;
    },
    select(info) {
      // The dialog offers this site's resources only, so the dragged times stay on its clock.
      const params = new URLSearchParams({ embed: "1", site: element.dataset.site, start: info.startStr, end: info.endStr });
      const chosen = fixedResource || (resourceFilter && resourceFilter.value);
      if (chosen) params.set("resource", chosen);
      frame.src = `/reservations/new/?${params}`;
      dialog.showModal();
    },
    eventDrop: move,
    eventResize: move,
    eventClick(info) {
      if (info.event.extendedProps.reservation.details_visible) window.location.href = `/reservations/${info.event.id}/`;
    },
  });
  calendar.render();

  // FullCalendar's arrow icons are decoration (their buttons carry the words) and its scrolling
  // panes must be reachable by keyboard.
  function accessible() {
    element.querySelectorAll(".fc-icon").forEach((icon) => {
      icon.setAttribute("aria-hidden", "true");
      icon.removeAttribute("role");
    });
    element.querySelectorAll(".fc-button").forEach((button) => {
      const wordless = !button.textContent.trim();
      if (wordless && !button.getAttribute("aria-label") && button.title) button.setAttribute("aria-label", button.title);
    });
    element.querySelectorAll(".fc-scroller").forEach((pane) => pane.setAttribute("tabindex", "0"));
    // The week grid is tables laid inside tables for layout; announced as one data grid it is
    // malformed, so it is presented as layout (the list view reads the same bookings as a list).
    element
      .querySelectorAll(".fc-scrollgrid, .fc-scrollgrid [role]")
      .forEach((node) => node.matches("a, button, .fc-event, [role='button']") || node.setAttribute("role", "presentation"));
  }
  calendar.on("datesSet", () => setTimeout(accessible));
  accessible();
  window.reservoirCalendar = calendar;
})();
