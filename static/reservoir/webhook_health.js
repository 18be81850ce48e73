// Live status: refresh each webhook's health every 15 seconds without reloading the page.
setInterval(async () => {
  for (const row of document.querySelectorAll("#webhook-health tr[data-id]")) {
    const response = await fetch(`/api/webhooks/${row.dataset.id}/health/`, { credentials: "same-origin" });
    if (!response.ok) continue;
    const health = await response.json();
    const cell = row.querySelector(".state");
    cell.className = `state state-${health.state}`;
    cell.firstChild.textContent = health.state;
  }
}, 15000);
