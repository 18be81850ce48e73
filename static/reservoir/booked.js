// Tell the calendar around this form that the booking is made (it closes the dialog and refreshes).
window.parent.postMessage(
  {
    type: "reservoir:booked",
    booking: Number(document.currentScript.dataset.booking),
    message: document.currentScript.dataset.message,
  },
  window.location.origin,
);
