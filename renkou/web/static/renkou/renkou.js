// renkou: the little JavaScript the pages need (no inline scripts: the CSP forbids them).
document.addEventListener("change", function (event) {
  if (event.target.matches("select[data-autosubmit]")) {
    event.target.form.submit();
  }
});
document.addEventListener("click", function (event) {
  if (event.target.matches("[data-print]")) {
    window.print();
  }
});
// A bulk form's "tick all": ticks every checkbox that belongs to the form named by it.
document.addEventListener("change", function (event) {
  var form = event.target.getAttribute && event.target.getAttribute("data-check-all");
  if (form) {
    document.querySelectorAll('input[type=checkbox][form="' + form + '"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  }
});
