// The diary's calendar: drag a task chip to another day (month, week) or hour (week, day) to move
// it. The drop posts to the chip's move URL with htmx, which answers with the refreshed calendar.
// The chip's "Move to" form does the same from the keyboard. No build step, no dependencies
// beyond htmx (vendored, loaded by base.html).
(function () {
  "use strict";

  var dragged = null;
  var hovered = null;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function dropZone(event) {
    var target = event.target;
    if (target && target.nodeType !== 1) target = target.parentElement;
    return target ? target.closest("[data-drop-date], [data-drop-at]") : null;
  }

  function hover(zone) {
    if (hovered === zone) return;
    if (hovered) hovered.classList.remove("diary-drop-hover");
    hovered = zone;
    if (zone) zone.classList.add("diary-drop-hover");
  }

  document.addEventListener("dragstart", function (event) {
    var target = event.target.nodeType === 1 ? event.target : event.target.parentElement;
    var handle = target && target.closest("[data-move-url]");
    if (!handle) return;
    dragged = handle;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", handle.dataset.task);
    handle.closest(".diary-chip").classList.add("diary-dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      var chip = dragged.closest(".diary-chip");
      if (chip) chip.classList.remove("diary-dragging");
    }
    dragged = null;
    hover(null);
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var zone = dropZone(event);
    if (!zone) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    hover(zone);
  });

  document.addEventListener("drop", function (event) {
    if (!dragged) return;
    var zone = dropZone(event);
    if (!zone) return;
    event.preventDefault();
    var handle = dragged;
    var chip = handle.closest(".diary-chip");
    var calendar = document.getElementById("diary-calendar");
    hover(null);
    var values = {
      shown_view: calendar.dataset.shownView,
      shown_date: calendar.dataset.shownDate,
      shown_user: calendar.dataset.shownUser,
      shown_team: calendar.dataset.shownTeam
    };
    if (zone.dataset.dropAt) {
      values.due_at = zone.dataset.dropAt;
      if (chip && chip.dataset.start && chip.dataset.start.slice(0, 13) === values.due_at.slice(0, 13)) return;
    } else {
      values.date = zone.dataset.dropDate;
      if (chip && chip.dataset.start && chip.dataset.start.slice(0, 10) === values.date) return;
    }
    calendar.classList.add("diary-busy");
    window.htmx.ajax("POST", handle.dataset.moveUrl, {
      source: handle,
      target: "#diary-calendar",
      swap: "outerHTML",
      values: values,
      headers: {"X-CSRFToken": csrfToken()}
    }).finally(function () {
      var current = document.getElementById("diary-calendar");
      if (current) current.classList.remove("diary-busy");
    });
  });

  // The feed's address: copy it, and select it all when focused.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var input = document.querySelector(button.dataset.copy);
    if (!input) return;
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value);
    } else {
      document.execCommand("copy");
    }
    button.classList.add("btn-success");
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("[data-select-on-focus]")) event.target.select();
  });
})();
