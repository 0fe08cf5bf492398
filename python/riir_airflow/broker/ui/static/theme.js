// Before paint (loaded without defer): no flash of the wrong theme. A file, not inline: the UI's CSP allows 'self'.
document.documentElement.dataset.theme = localStorage.getItem("riir-theme") || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
