// The booking form, made quicker with a script (it works without one): choosing a resource loads its
// options, presets set the length, repeat details show when they apply, and the preview of each
// occurrence follows every change.
(function () {
  "use strict";
  const form = document.getElementById("booking-form");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const resource = $("id_resource");
  const start = $("id_start");
  const end = $("id_end");
  const repeat = $("id_repeat");

  resource.addEventListener("change", () => {
    const params = new URLSearchParams({ resource: resource.value, start: start.value, end: end.value });
    const title = $("id_title");
    if (title && title.value) params.set("title", title.value);
    if (new URLSearchParams(window.location.search).get("embed") === "1") params.set("embed", "1");
    window.location.search = params.toString();
  });

  const presets = $("presets");
  presets.hidden = false;
  presets.addEventListener("click", (event) => {
    const minutes = Number(event.target.dataset.minutes);
    if (!minutes || !start.value) return;
    // datetime-local values are wall-clock times; add minutes without any time zone in between.
    const [day, time] = start.value.split("T");
    const [y, m, d] = day.split("-").map(Number);
    const [hh, mm] = time.split(":").map(Number);
    const moved = new Date(Date.UTC(y, m - 1, d, hh, mm + minutes));
    end.value = moved.toISOString().slice(0, 16);
    schedulePreview();
  });

  function showRepeatDetails() {
    const repeating = Boolean(repeat.value);
    $("repeat-details").hidden = !repeating;
    $("weekdays").hidden = repeat.value !== "WEEKLY";
    const until = form.querySelector("input[name=repeat_ends][value=until]");
    const byDate = until && until.checked;
    $("id_repeat_count").disabled = byDate;
    $("id_repeat_until").disabled = !byDate;
  }
  form.addEventListener("change", showRepeatDetails);
  showRepeatDetails();

  let timer = null;
  function schedulePreview() {
    clearTimeout(timer);
    if (!repeat.value || !resource.value || !start.value || !end.value) return;
    timer = setTimeout(async () => {
      const data = new FormData(form);
      data.set("preview", "1");
      const response = await fetch(window.location.pathname + window.location.search, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Preview": "1" },
      });
      if (response.ok) $("preview").innerHTML = await response.text();
    }, 350);
  }
  form.addEventListener("input", schedulePreview);
  form.addEventListener("change", schedulePreview);
})();
