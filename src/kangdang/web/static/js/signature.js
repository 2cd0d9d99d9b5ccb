// Consent signature: draw on the canvas with a mouse, pen or finger; on submit the drawing travels as a PNG
// data URL in the hidden field. Only the chosen method's panel shows; without a drawing the form is not sent.
(function () {
  const form = document.querySelector("[data-signature-form]");
  if (!form) return;
  const canvas = form.querySelector("[data-signature-pad]");
  const field = form.querySelector("[data-signature-field]");
  const status = form.querySelector("[data-signature-status]");
  const context = canvas.getContext("2d");
  let drawing = false;
  let drawn = false;
  let last = null;

  function blank() {
    context.fillStyle = "#ffffff";  // a white sheet, so the stored PNG reads like paper
    context.fillRect(0, 0, canvas.width, canvas.height);
  }
  blank();
  context.lineWidth = 2.5;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#111827";

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * (canvas.width / box.width),
      y: (event.clientY - box.top) * (canvas.height / box.height),
    };
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const next = point(event);
    context.beginPath();
    context.moveTo(last.x, last.y);
    context.lineTo(next.x, next.y);
    context.stroke();
    last = next;
    drawn = true;
  });
  const stop = () => { drawing = false; last = null; };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);

  form.querySelector("[data-signature-clear]").addEventListener("click", () => {
    blank();
    drawn = false;
    field.value = "";
  });

  function method() {
    const chosen = form.querySelector("input[data-method]:checked");
    return chosen ? chosen.value : "signature";
  }
  function showPanels() {
    form.querySelectorAll("[data-method-panel]").forEach((panel) => {
      panel.hidden = panel.dataset.methodPanel !== method();
    });
  }
  form.querySelectorAll("input[data-method]").forEach((radio) => radio.addEventListener("change", showPanels));
  showPanels();

  form.addEventListener("submit", (event) => {
    if (method() !== "signature") { field.value = ""; return; }
    if (!drawn) {
      event.preventDefault();
      status.textContent = "请居民在框内签名后再登记（或选择上传签字的纸质同意书）";
      status.classList.add("field-error");
      canvas.focus();
      return;
    }
    field.value = canvas.toDataURL("image/png");
  });
})();
