// 全选: a header checkbox marked data-check-all ticks or clears every row checkbox of its table.
document.querySelectorAll("input[data-check-all]").forEach((all) => {
  all.addEventListener("change", () => {
    all.closest("table").querySelectorAll("tbody input[type=checkbox]").forEach((box) => {
      box.checked = all.checked;
    });
  });
});
