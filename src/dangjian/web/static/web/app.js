// Behaviour the pages declare with data attributes, so no inline script is needed
// (the Content Security Policy allows scripts from this server only).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches("[data-autosubmit]") && el.form) {
    el.form.submit();
  } else if (el.matches("[data-navigate]") && el.value) {
    window.location.href = el.value;
  }
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.matches("[data-confirm]") && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
