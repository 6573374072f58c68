// On the sign-in page nobody is signed in: drop the page snapshots htmx keeps for its history
// (they hold the values of the pages seen before signing out).
try {
  sessionStorage.removeItem("htmx-history-cache");
  sessionStorage.clear();
} catch (error) {
  // Storage disabled: nothing was kept.
}
