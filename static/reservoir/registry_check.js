// Live availability check while typing the value (the form works without it).
(function () {
  const form = document.getElementById("allocation-form");
  const out = document.getElementById("availability");
  let timer;
  async function check() {
    const body = {
      resource_type: form.resource_type.value,
      resource_value: form.resource_value.value,
      environment: form.environment.value || "production",
    };
    if (!body.resource_value) { out.textContent = ""; return; }
    const token = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
    const response = await fetch("/api/system-resources/check-availability/", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": decodeURIComponent(token) },
      body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) { out.textContent = (data.errors && Object.values(data.errors).flat().join(" ")) || data.detail; return; }
    out.textContent = data.available ? `${data.resource_value} is free` : `${data.resource_value} is taken: ${data.reason}`;
  }
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 250); });
  // A free port found below fills the form above with it, checked at once.
  document.addEventListener("click", (event) => {
    const port = event.target.closest("button.free-port");
    if (!port) return;
    form.resource_type.value = "port";
    form.resource_value.value = port.dataset.port;
    form.scrollIntoView({ behavior: "smooth", block: "start" });
    form.resource_value.focus();
    check();
  });
})();
