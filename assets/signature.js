// Signature pads for the task form: draw on <canvas data-signature> with a mouse, pen or finger.
// On each finished stroke the pad's PNG data URL is written into the hidden input named by
// data-input (firing React's onChange); a button with data-signature-clear="<canvas id>" clears it.
(function () {
  if (window.hpiSignature) return;
  const pads = new WeakMap();

  // The pad's drawing state; (re)sized to the canvas's on-screen size, keeping what is drawn.
  function pad(canvas) {
    const rect = canvas.getBoundingClientRect();
    let state = pads.get(canvas);
    if (state && state.width === rect.width && state.height === rect.height) return state;
    let copy = null;
    if (state) {
      copy = document.createElement("canvas");
      copy.width = canvas.width;
      copy.height = canvas.height;
      copy.getContext("2d").drawImage(canvas, 0, 0);
    }
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    canvas.width = Math.max(1, Math.round(rect.width * ratio));
    canvas.height = Math.max(1, Math.round(rect.height * ratio));
    const ctx = canvas.getContext("2d");
    if (copy) ctx.drawImage(copy, 0, 0, canvas.width, canvas.height);
    ctx.scale(ratio, ratio);
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = 2.4;
    ctx.strokeStyle = canvas.dataset.penColor || "#1c2024";
    ctx.fillStyle = ctx.strokeStyle;
    state = { ctx: ctx, width: rect.width, height: rect.height, drawing: false, last: null, pointer: null };
    pads.set(canvas, state);
    return state;
  }

  function point(canvas, event) {
    const rect = canvas.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  function publish(canvas, value) {
    const input = document.getElementById(canvas.dataset.input || "");
    if (!input) return;
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
    setter.call(input, value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function clear(canvas) {
    const state = pads.get(canvas);
    if (state) {
      state.ctx.save();
      state.ctx.setTransform(1, 0, 0, 1, 0, 0);
      state.ctx.clearRect(0, 0, canvas.width, canvas.height);
      state.ctx.restore();
    }
    canvas.dataset.signed = "false";
    publish(canvas, "");
  }

  document.addEventListener("pointerdown", function (event) {
    const canvas = event.target.closest && event.target.closest("canvas[data-signature]");
    if (!canvas || event.button > 0 || canvas.dataset.disabled === "true") return;
    event.preventDefault();
    const state = pad(canvas);
    state.drawing = true;
    state.pointer = event.pointerId;
    state.last = point(canvas, event);
    canvas.setPointerCapture(event.pointerId);
    state.ctx.beginPath();
    state.ctx.arc(state.last.x, state.last.y, state.ctx.lineWidth / 2, 0, Math.PI * 2);
    state.ctx.fill();
  });

  document.addEventListener("pointermove", function (event) {
    const canvas = event.target.closest && event.target.closest("canvas[data-signature]");
    const state = canvas && pads.get(canvas);
    if (!state || !state.drawing || state.pointer !== event.pointerId) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const each of events.length ? events : [event]) {
      const next = point(canvas, each);
      state.ctx.beginPath();
      state.ctx.moveTo(state.last.x, state.last.y);
      state.ctx.lineTo(next.x, next.y);
      state.ctx.stroke();
      state.last = next;
    }
  });

  function finish(event) {
    const canvas = event.target.closest && event.target.closest("canvas[data-signature]");
    const state = canvas && pads.get(canvas);
    if (!state || !state.drawing || state.pointer !== event.pointerId) return;
    state.drawing = false;
    canvas.dataset.signed = "true";
    publish(canvas, canvas.toDataURL("image/png"));
  }
  document.addEventListener("pointerup", finish);
  document.addEventListener("pointercancel", finish);

  document.addEventListener("click", function (event) {
    const button = event.target.closest && event.target.closest("[data-signature-clear]");
    if (!button) return;
    const canvas = document.getElementById(button.dataset.signatureClear);
    if (canvas) clear(canvas);
  });

  window.hpiSignature = { clear: clear };
})();
