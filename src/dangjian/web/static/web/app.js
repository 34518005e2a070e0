// Behaviour the pages declare with data attributes, so no inline script is needed
// (the Content Security Policy allows scripts from this server only).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches("[data-autosubmit]") && el.form) {
    el.form.submit();
  } else if (el.matches("[data-navigate]") && el.value) {
    window.location.href = el.value;
  } else if (el.closest("[data-checks-radio]") && el.checked) {
    // ticking one of a group's boxes chooses the radio button the group names
    var radio = document.getElementById(el.closest("[data-checks-radio]").dataset.checksRadio);
    if (radio) radio.checked = true;
  }
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.matches("[data-confirm]") && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
document.addEventListener("click", function (event) {
  // 全部展开 / 全部收起: open or close every <details> of the organisation tree
  var btn = event.target.closest("[data-fold]");
  if (!btn) return;
  document.querySelectorAll("#org-tree details").forEach(function (d) {
    d.open = btn.dataset.fold === "open";
  });
});
