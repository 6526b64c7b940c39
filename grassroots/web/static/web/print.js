// Print buttons: any element with data-print prints the page (no inline handlers, for the Content
// Security Policy).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});
