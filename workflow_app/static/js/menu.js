// On a phone the header folds into a 菜单 button: it opens and closes the main menu and the user's box.
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".menu-toggle");
  if (!toggle) return;
  const header = toggle.closest(".topbar");
  toggle.addEventListener("click", () => {
    const open = header.classList.toggle("menu-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    toggle.textContent = open ? "收起" : "菜单";
  });
});
