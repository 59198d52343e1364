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
